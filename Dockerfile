# One image for the web server and the worker: Python, ffmpeg, Homeward and the offline model.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOMEWARD_DATA_DIR=/data
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# The CPU build of torch keeps the image small; openai-whisper would otherwise pull CUDA.
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu "torch==2.9.1"
COPY pyproject.toml README.md ./
COPY service ./service
COPY workers ./workers
COPY web ./web
RUN pip install --no-cache-dir -e . \
 && python -c "from workers.model_files import bundled_model_dir; bundled_model_dir()"

RUN useradd --create-home --uid 10001 homeward && mkdir -p /data && chown homeward /data
USER homeward
EXPOSE 8000
CMD ["homeward", "web", "--port", "8000"]
