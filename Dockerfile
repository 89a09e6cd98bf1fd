FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home tongxin && mkdir -p var && chown tongxin var
USER tongxin
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["python", "bot.py", "serve", "--host", "0.0.0.0", "--port", "8000"]
