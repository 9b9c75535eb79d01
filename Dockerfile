FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY peerscope ./peerscope
COPY domain ./domain
COPY embeddings ./embeddings
COPY search ./search
COPY indexer ./indexer
COPY web ./web
COPY mappings ./mappings
RUN pip install --no-cache-dir ".[postgres]"
ENV HF_HUB_OFFLINE=1
EXPOSE 8000
CMD ["peerscope", "serve", "--host", "0.0.0.0", "--port", "8000"]
