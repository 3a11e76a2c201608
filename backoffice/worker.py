"""The Celery application of the production queue, for the worker and beat processes:

    celery -A backoffice.worker worker --loglevel INFO
    celery -A backoffice.worker beat

The app is built from the environment like the web processes' (``DATABASE_URL``,
``BACKOFFICE_QUEUE_BROKER_URL``, ...); README, "Operations".
"""
from . import create_app
from .jobs import celery_app

flask_app = create_app()  # not ``app``: Celery's -A would take a Flask app for its own
celery = celery_app(flask_app)
