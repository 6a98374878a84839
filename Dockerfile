# The image of every Cao Bằng IOC process: `ioc collect`, `ioc simulate`, `ioc check`…
# (entrypoint `ioc`) and the dashboard under gunicorn (`--entrypoint gunicorn`).
#
#   docker build -t cao-bang-ioc .            (docker compose build does the same)
#
# Build arguments:
#   PYTHON_VERSION    base image python:<version>-slim (default 3.11, the project's minimum)
#   GUNICORN_VERSION  gunicorn serving dashboards.wsgi:server (default 27.0.1)
#   APP_UID           uid of the unprivileged `ioc` user the processes run as (default 10001)
#
# Everything is downloaded while building (PyPI); the running container needs no network but
# the broker, InfluxDB and Redis. tests/test_compose.py builds the wheel from this context here.

ARG PYTHON_VERSION=3.11

FROM python:${PYTHON_VERSION}-slim AS build
ARG GUNICORN_VERSION=27.0.1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY ioc ./ioc
COPY collectors ./collectors
COPY simulators ./simulators
COPY dashboards ./dashboards
RUN pip wheel --no-cache-dir --wheel-dir /wheels . "gunicorn==${GUNICORN_VERSION}"

FROM python:${PYTHON_VERSION}-slim
ARG APP_UID=10001
RUN useradd --system --uid "${APP_UID}" --create-home --home-dir /home/ioc ioc \
    && install -d -o ioc -g ioc /home/ioc/.local /home/ioc/.local/share /home/ioc/.local/share/ioc \
    && install -d -o ioc -g ioc -m 0700 /var/lib/ioc
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-index /tmp/wheels/*.whl && rm -rf /tmp/wheels
USER ioc
WORKDIR /home/ioc
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
# The dashboard (gunicorn --bind 0.0.0.0:8050).
EXPOSE 8050
ENTRYPOINT ["ioc"]
CMD ["--help"]
