// Tests of DataRoots: roots resolved at start, paths inside a root resolved
// to their canonical form, and every way out of a root (an absolute path, a
// `..`, a symlink, a sibling sharing the root's name prefix) refused alike,
// whether the file outside exists or not; at a job's start, a path swapped
// for a symlink since CreateJob, or a root no longer given, is refused.
#include "server/data_roots.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/temp_dir.hpp"

namespace gradstream::server {
namespace {

namespace fs = std::filesystem;
using engine::StatusCode;

constexpr char kField[] = "data.files.train_features";

// <base>/data is the root; <base>/data2 shares its name prefix; <base>/outside is outside.
class DataRootsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(base_ / "data" / "sub");
    fs::create_directories(base_ / "data2");
    fs::create_directories(base_ / "outside");
    scratch_.write("data/in.csv", "1,2,0\n");
    scratch_.write("data/sub/rows.bin", "1,2,0\n");
    scratch_.write("data2/sibling.csv", "1,2,0\n");
    scratch_.write("outside/secret.csv", "1,2,0\n");
    fs::create_symlink(base_ / "outside" / "secret.csv", base_ / "data" / "link_out.csv");
    fs::create_symlink(base_ / "data" / "sub" / "rows.bin", base_ / "data" / "link_in.csv");
    fs::create_symlink(base_ / "outside", base_ / "data" / "dir_out");
    auto created = DataRoots::create({(base_ / "data").string()});
    ASSERT_TRUE(created.ok()) << created.status().message();
    roots_ = std::move(created).value();
  }

  std::string at(const std::string& relative) const { return (base_ / relative).string(); }

  // resolve's path, or its error's message (so a failure shows what went wrong).
  std::string resolved(const std::string& path) const {
    auto out = roots_.resolve(kField, path);
    return out.ok() ? *out : "error: " + out.status().message();
  }

  static std::string outside_message(const std::string& path) {
    return std::string(kField) + ": \"" + path +
           "\" is outside every --data-root directory of this server";
  }

  test_support::TempDir scratch_{"data_roots"};
  const fs::path base_ = fs::canonical(scratch_.path());
  DataRoots roots_;
};

TEST_F(DataRootsTest, CreateResolvesEachRootAndNamesTheFlagForABadOne) {
  auto folded = DataRoots::create({at("data/sub/.."), at("data2")});
  ASSERT_TRUE(folded.ok()) << folded.status().message();
  ASSERT_EQ(folded->dirs().size(), 2U);
  EXPECT_EQ(folded->dirs()[0], base_ / "data");
  EXPECT_EQ(folded->dirs()[1], base_ / "data2");

  auto missing = DataRoots::create({at("nowhere")});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(),
            "--data-root \"" + at("nowhere") + "\": No such file or directory");
  auto file = DataRoots::create({at("data/in.csv")});
  EXPECT_EQ(file.status().message(), "--data-root \"" + at("data/in.csv") + "\": not a directory");
  EXPECT_EQ(DataRoots::create({""}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DataRootsTest, WithoutRootsEveryPathIsRefusedNamingTheFlag) {
  const DataRoots none;
  for (const std::string& path : {at("data/in.csv"), std::string("/etc/passwd"), at("missing")}) {
    auto resolved = none.resolve(kField, path);
    EXPECT_EQ(resolved.status().code(), StatusCode::kPermissionDenied) << path;
    EXPECT_EQ(resolved.status().message(),
              std::string(kField) + ": \"" + path +
                  "\": server-side files are not allowed: start the server with --data-root DIR "
                  "to allow a directory");
  }
}

TEST_F(DataRootsTest, APathInsideARootResolvesToItsCanonicalPath) {
  EXPECT_EQ(resolved(at("data/in.csv")), at("data/in.csv"));
  EXPECT_EQ(resolved(at("data/sub/../in.csv")), at("data/in.csv"));
  EXPECT_EQ(resolved(at("data//./sub/rows.bin")), at("data/sub/rows.bin"));
  // A symlink that stays inside the root: the file it leads to.
  EXPECT_EQ(resolved(at("data/link_in.csv")), at("data/sub/rows.bin"));
  // `..` is folded before anything is looked up: the directory it cancels is
  // never walked through, whether it exists outside the root or not.
  EXPECT_EQ(resolved(at("outside/../data/in.csv")), at("data/in.csv"));
  EXPECT_EQ(resolved(at("no_such_dir/../data/in.csv")), at("data/in.csv"));
}

TEST_F(DataRootsTest, EveryWayOutOfARootIsPermissionDenied) {
  for (const std::string& path :
       {at("outside/secret.csv"), std::string("/proc/self/environ"), std::string("/"),
        at("data/../outside/secret.csv"), at("data/sub/../../outside/secret.csv"),
        at("data/link_out.csv"), at("data/dir_out/secret.csv"), at("data2/sibling.csv"),
        at("data2"), at("data/../data2/sibling.csv")}) {
    auto resolved = roots_.resolve(kField, path);
    EXPECT_EQ(resolved.status().code(), StatusCode::kPermissionDenied) << path;
    EXPECT_EQ(resolved.status().message(), outside_message(path));
  }
}

TEST_F(DataRootsTest, AMissingPathOutsideIsAnsweredLikeAnExistingOne) {
  for (const std::string& path :
       {at("outside/nope.csv"), at("nowhere/nope.csv"), at("data/dir_out/nope.csv"),
        at("data/../outside/nope.csv"), at("data2/nope.csv"), std::string("/etc/nope/nope")}) {
    auto resolved = roots_.resolve(kField, path);
    EXPECT_EQ(resolved.status().code(), StatusCode::kPermissionDenied) << path;
    EXPECT_EQ(resolved.status().message(), outside_message(path));
  }
}

TEST_F(DataRootsTest, AMissingPathInsideARootIsNotFound) {
  auto missing = roots_.resolve(kField, at("data/missing.csv"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            std::string(kField) + ": " + at("data/missing.csv") + ": no such file");
  EXPECT_EQ(roots_.resolve(kField, at("data/sub/none/x.csv")).status().code(),
            StatusCode::kNotFound);
}

TEST_F(DataRootsTest, ResolveFilesRewritesEveryPathAndKeepsTheFormatTheNamesImply) {
  v1::FileSource files;
  files.set_train_features(at("data/link_in.csv"));  // -> sub/rows.bin, no format of its own
  files.set_test_features(at("data/sub/../in.csv"));
  ASSERT_TRUE(roots_.resolve_files(files).ok());
  EXPECT_EQ(files.train_features(), at("data/sub/rows.bin"));
  EXPECT_EQ(files.test_features(), at("data/in.csv"));
  EXPECT_EQ(files.format(), v1::CSV);
  EXPECT_TRUE(roots_.check_resolved(files).ok());
}

TEST_F(DataRootsTest, ResolveFilesNamesTheFieldOfAPathOutside) {
  v1::FileSource files;
  files.set_train_features(at("data/in.csv"));
  files.set_test_features(at("data/link_out.csv"));
  auto refused = roots_.resolve_files(files);
  EXPECT_EQ(refused.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.message(), "data.files.test_features: \"" + at("data/link_out.csv") +
                                   "\" is outside every --data-root directory of this server");
  EXPECT_EQ(files.train_features(), at("data/in.csv"));  // untouched
}

TEST_F(DataRootsTest, AtStartAFileSwappedForASymlinkIsRefused) {
  v1::FileSource files;
  files.set_train_features(at("data/sub/rows.bin"));
  files.set_format(v1::CSV);
  ASSERT_TRUE(roots_.check_resolved(files).ok());
  fs::remove(at("data/sub/rows.bin"));
  fs::create_symlink(at("outside/secret.csv"), at("data/sub/rows.bin"));
  auto out = roots_.check_resolved(files);
  EXPECT_EQ(out.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(out.message(), outside_message(at("data/sub/rows.bin")));
  // Even to a file inside the root: the job reads only the file it was created on.
  fs::remove(at("data/sub/rows.bin"));
  fs::create_symlink(at("data/in.csv"), at("data/sub/rows.bin"));
  auto elsewhere = roots_.check_resolved(files);
  EXPECT_EQ(elsewhere.code(), StatusCode::kPermissionDenied);
  const std::string swapped = at("data/sub/rows.bin");
  EXPECT_EQ(elsewhere.message().rfind(std::string(kField) + ": \"" + swapped +
                                          "\" no longer resolves to itself inside a --data-root",
                                      0),
            0U)
      << elsewhere.message();
}

TEST_F(DataRootsTest, AtStartAnUnresolvedOrUnrootedPathIsRefusedNamingFileAndFlag) {
  v1::FileSource files;
  files.set_train_features(at("data/sub/../in.csv"));  // as a job stored before resolving kept it
  auto unresolved = roots_.check_resolved(files);
  EXPECT_EQ(unresolved.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(unresolved.message().find(at("data/sub/../in.csv")), std::string::npos);
  EXPECT_NE(unresolved.message().find("--data-root"), std::string::npos);

  files.set_train_features(at("data/in.csv"));
  auto dropped = DataRoots().check_resolved(files);  // the root no longer given
  EXPECT_EQ(dropped.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(dropped.message().find(at("data/in.csv")), std::string::npos);
  EXPECT_NE(dropped.message().find("--data-root"), std::string::npos);
}

}  // namespace
}  // namespace gradstream::server
