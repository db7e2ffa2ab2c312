FROM python:3.11-slim
WORKDIR /app
# .dockerignore keeps .venv, .colearn (secrets), .git and reports out of the context.
COPY . /app
RUN pip install --no-cache-dir . \
    && useradd --system --uid 10001 --home-dir /data colearn \
    && mkdir -p /data && chown colearn /data && chmod 0700 /data
# The data directory holds the issuer keys, the recipient pepper and the token
# secret: docker-compose.yml mounts a volume here so they outlive the container.
ENV COLEARN_HOST=0.0.0.0 COLEARN_PORT=8000 COLEARN_DATA_DIR=/data
VOLUME ["/data"]
USER colearn
EXPOSE 8000
CMD ["sh", "-c", "colearn ingest demo && colearn serve"]
