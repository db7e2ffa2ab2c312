FROM python:3.11-slim
WORKDIR /app
COPY . /app
RUN pip install --no-cache-dir .
ENV COLEARN_HOST=0.0.0.0 COLEARN_PORT=8000
EXPOSE 8000
CMD ["sh", "-c", "colearn ingest demo && colearn serve"]
