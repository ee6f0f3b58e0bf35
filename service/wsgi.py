"""The WSGI entry point for production servers: ``gunicorn service.wsgi:app``."""

from service import configure_logging, create_app

app = create_app()
configure_logging(app.config["HOMEWARD"].log_level)
