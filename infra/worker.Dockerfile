# syntax=docker/dockerfile:1
# TransferHub training worker (remote worker process). Build from the repository root:
#   docker build -f infra/worker.Dockerfile -t transferhub-worker .                       # CPU (libtorch-cpu)
#   docker build -f infra/worker.Dockerfile --build-arg TORCH_BACKEND=cuda -t transferhub-worker-cuda .
# The CUDA build needs the TorchSharp-cuda-linux package from your NuGet feed (nuget.org serves it) and runs on a
# host with the NVIDIA container toolkit (docker run --gpus all, or nvidia.com/gpu on Kubernetes).
# Run: docker run -e TRANSFERHUB_WORKER_TOKEN=thw_… transferhub-worker --server https://transferhub.example --device auto

ARG TORCH_BACKEND=cpu

# ---- build ------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props nuget.confi[g] .editorconfig ./
# The libtorch wrapper patch (STACK-NOTES trap 1): the runtime image is Debian 12 too.
COPY build/ build/
COPY src/Shared/TransferHub.Shared.csproj src/Shared/
COPY src/Training/TransferHub.Training.csproj src/Training/
RUN dotnet restore src/Training/TransferHub.Training.csproj -p:TorchBackend=$TORCH_BACKEND
COPY src/Shared/ src/Shared/
COPY src/Training/ src/Training/
RUN dotnet publish src/Training/TransferHub.Training.csproj -c Release -o /app --no-restore -p:TorchBackend=$TORCH_BACKEND

# ---- runtime ----------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/runtime:10.0 AS runtime
WORKDIR /app
# libgomp for libtorch's OpenMP; the work folder holds a run's data and checkpoints (deleted after each run).
RUN apt-get update && apt-get install -y --no-install-recommends libgomp1 && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /work && chown "$APP_UID" /work
COPY --from=build /app ./
USER $APP_UID
# SIGTERM (docker stop, a Kubernetes rollout) hands the run back to the queue at once; it resumes from its checkpoint.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "TransferHub.Training.dll", "worker", "--work-dir", "/work"]
