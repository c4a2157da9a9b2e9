// CoordinatorStore: Gloo's store over the Rendezvous call: keys set once,
// waits that poll until every key is there or the timeout passes, a moment of
// UNAVAILABLE ridden out, a refusal thrown as Gloo's IoException.
#include "worker/coordinator_store.hpp"

#include <gloo/common/error.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace gradstream::worker {
namespace {

// A coordinator's rendezvous table for one attempt; `unavailable` answers
// that many calls UNAVAILABLE first; keys in `late` appear after `late_after` calls.
struct FakeRendezvous {
  std::map<std::string, std::string> keys;
  int calls = 0;
  int unavailable = 0;
  std::map<std::string, std::string> late;
  int late_after = 0;

  grpc::Status call(const v1::RendezvousRequest& request, v1::RendezvousResponse* response) {
    ++calls;
    EXPECT_EQ(request.job_id(), "job-1");
    EXPECT_EQ(request.attempt(), 4U);
    if (unavailable > 0) {
      --unavailable;
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "restarting");
    }
    if (calls > late_after) {
      keys.insert(late.begin(), late.end());
      late.clear();
    }
    for (const auto& [key, value] : request.set()) {
      if (!keys.emplace(key, value).second) {
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "set: key is set already");
      }
    }
    for (const std::string& key : request.get()) {
      auto it = keys.find(key);
      if (it != keys.end()) (*response->mutable_values())[key] = it->second;
    }
    return grpc::Status::OK;
  }
};

CoordinatorStore store_of(FakeRendezvous& fake) {
  return CoordinatorStore(
      [&fake](const v1::RendezvousRequest& request, v1::RendezvousResponse* response) {
        return fake.call(request, response);
      },
      "w-1", "job-1", 4);
}

TEST(CoordinatorStoreTest, SetThenGetGivesTheBytesBack) {
  FakeRendezvous fake;
  CoordinatorStore store = store_of(fake);
  const std::vector<char> address{'1', '2', '7', '\0', 'x'};
  store.set("rank_0", address);
  EXPECT_EQ(fake.keys.at("rank_0"), std::string(address.begin(), address.end()));
  EXPECT_EQ(store.get("rank_0"), address);
}

TEST(CoordinatorStoreTest, WaitPollsUntilEveryKeyIsSet) {
  FakeRendezvous fake;
  fake.keys.emplace("0", "a");
  fake.late["1"] = "b";
  fake.late_after = 3;
  CoordinatorStore store = store_of(fake);
  store.wait({"0", "1"}, std::chrono::milliseconds(5000));
  EXPECT_GE(fake.calls, 4);
  EXPECT_EQ(store.get("1"), std::vector<char>{'b'});
}

TEST(CoordinatorStoreTest, WaitHonoursItsTimeout) {
  FakeRendezvous fake;
  CoordinatorStore store = store_of(fake);
  const auto start = std::chrono::steady_clock::now();
  try {
    store.wait({"never"}, std::chrono::milliseconds(300));
    FAIL() << "wait returned without the key";
  } catch (const gloo::IoException& e) {
    EXPECT_NE(std::string(e.what()).find("did not arrive within 300 ms"), std::string::npos)
        << e.what();
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 0.3);
  EXPECT_LT(waited, 3.0);
}

TEST(CoordinatorStoreTest, UnavailableIsRiddenOut) {
  FakeRendezvous fake;
  fake.keys.emplace("0", "a");
  fake.unavailable = 2;
  CoordinatorStore store = store_of(fake);
  EXPECT_EQ(store.get("0"), std::vector<char>{'a'});
  EXPECT_EQ(fake.calls, 3);
}

TEST(CoordinatorStoreTest, RefusalIsGloosIoException) {
  FakeRendezvous fake;
  fake.keys.emplace("rank_0", "taken");
  CoordinatorStore store = store_of(fake);
  EXPECT_THROW(store.set("rank_0", {'x'}), gloo::IoException);
}

}  // namespace
}  // namespace gradstream::worker
