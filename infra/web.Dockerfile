# syntax=docker/dockerfile:1
# TransferHub web app. Build from the repository root:
#   docker build -f infra/web.Dockerfile -t transferhub-web .

# ---- build ------------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore first, from the files that decide it, so the layer is cached until a package changes.
# nuget.confi[g] is a glob so the build still works while the repository has no nuget.config.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props nuget.confi[g] TransferHub.sln .editorconfig ./
# The libtorch wrapper patch (STACK-NOTES trap 1): the runtime image is Debian 12 too.
COPY build/ build/
COPY src/Shared/TransferHub.Shared.csproj src/Shared/
COPY src/Registry/TransferHub.Registry.csproj src/Registry/
COPY src/Training/TransferHub.Training.csproj src/Training/
COPY src/Web/TransferHub.Web.csproj src/Web/
RUN dotnet restore src/Web/TransferHub.Web.csproj

COPY src/ src/
RUN dotnet publish src/Web/TransferHub.Web.csproj -c Release -o /app --no-restore

# ---- runtime ----------------------------------------------------------------
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app

# The data folder (SQLite file and local artifacts when no external providers are configured).
# Created and owned by the image's non-root `app` user so a fresh named volume inherits that owner.
RUN mkdir -p /data && chown "$APP_UID" /data

# appsettings.json sets Urls=http://localhost:5000, which outranks ASPNETCORE_URLS;
# the unprefixed Urls environment variable outranks appsettings.json, so set both.
ENV ASPNETCORE_URLS=http://+:8080 \
    Urls=http://+:8080 \
    Data__Root=/data

COPY --from=build /app ./

USER $APP_UID
VOLUME ["/data"]
EXPOSE 8080

# No HEALTHCHECK: the aspnet image has no curl or wget. Probe /health from compose or Kubernetes instead.
ENTRYPOINT ["dotnet", "TransferHub.Web.dll"]
