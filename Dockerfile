# gradstream-server, the gradstream CLI and gradstream-worker on Debian 12.
#   docker build -t gradstream .                         (--build-arg RUN_TESTS=1: run the tests too)
#   docker run -p 50051:50051 -p 9464:9464 gradstream
#   docker run --entrypoint gradstream-worker gradstream --coordinator HOST:50051
# The build stage runs the same scripts as CI (scripts/install-deps.sh,
# scripts/build.sh); the runtime stage holds only the shared libraries.

FROM debian:12 AS build
ARG RUN_TESTS=0
WORKDIR /src
COPY . .
# As root, install-deps.sh calls apt-get without sudo.
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
RUN scripts/build.sh
RUN if [ "$RUN_TESTS" = 1 ]; then scripts/test.sh; fi

FROM debian:12-slim
# Runtime libraries of the binaries (ocl-icd-libopencl1: libdnnl links libOpenCL)
# and the built-in Fashion-MNIST data set; tests/e2e/deploy_config_test.sh checks
# that this list covers every library the binaries load.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libdnnl2 ocl-icd-libopencl1 libgomp1 zlib1g \
      libprotobuf32 libgrpc++1.51 libgrpc29 libssl3 libsqlite3-0 \
      libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libonnx1 libgloo0 \
      dataset-fashion-mnist \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 gradstream \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/gradstream \
      --shell /usr/sbin/nologin gradstream \
 && install -d -o gradstream -g gradstream /var/lib/gradstream
COPY --from=build /src/build/bin/gradstream-server /src/build/bin/gradstream \
     /src/build/bin/gradstream-worker /usr/local/bin/
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
VOLUME /var/lib/gradstream
EXPOSE 50051 9464
# The server's; a worker listens on nothing, so its containers turn it off
# (deploy/docker-compose.workers.yml: healthcheck: disable).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["gradstream", "health", "--server", "127.0.0.1:50051", "--timeout", "3"]
ENTRYPOINT ["gradstream-server", "--listen", "0.0.0.0:50051", \
            "--metrics-address", "0.0.0.0:9464", "--data-dir", "/var/lib/gradstream"]
