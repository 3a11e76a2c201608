# Copy to instance/config.py. Every key can also be set as an environment variable
# BACKOFFICE_<KEY> (SECRET_KEY and DATABASE_URL without the prefix).

# ENV = "production"                    # refuses to start with the default SECRET_KEY
# SECRET_KEY = "a long random string"   # python -c 'import secrets; print(secrets.token_urlsafe(48))'
# SQLALCHEMY_DATABASE_URI = "postgresql+psycopg://backoffice@localhost/backoffice"

# ORGANISATION_NAME = "Python Community Association e.V."
# DEFAULT_CURRENCY = "EUR"
# DEFAULT_LOCALE = "de_DE"
# FISCAL_YEAR_START_MONTH = 1

# MAIL_SERVER = "smtp.example.org"
# MAIL_PORT = 587
# MAIL_USE_TLS = True
# MAIL_USERNAME = "backoffice@example.org"
# MAIL_PASSWORD = "..."
# MAIL_FROM = "Backoffice <backoffice@example.org>"
