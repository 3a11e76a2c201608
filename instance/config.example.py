# Copy to instance/config.py. Every key can also be set as an environment variable
# BACKOFFICE_<KEY> (SECRET_KEY and DATABASE_URL without the prefix).

# ENV = "production"                    # refuses to start with demo settings (README: Security)
# SECRET_KEY = "a long random string"   # at least 32 characters:
#                                       # python -c 'import secrets; print(secrets.token_urlsafe(48))'
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

# Sponsor invoices: the seller printed on every invoice (any key may be left out), numbering,
# terms. Numbers are <prefix><year>-<five digits>, gap-free per year.
# INVOICE_SELLER = {"street": "Musterstraße 12", "postcode": "10115", "city": "Berlin",
#                   "country": "DE", "tax_number": "27/640/12345", "vat_id": "DE136695976",
#                   "register": "Amtsgericht Berlin-Charlottenburg, VR 12345 B",
#                   "board": "Anna Beispiel, Jonas Muster", "email": "treasurer@example.org",
#                   "bank_name": "Beispielbank", "iban": "DE89370400440532013000",
#                   "bic": "COBADEFFXXX"}
# INVOICE_NUMBER_PREFIX = ""            # e.g. "PCA-" gives PCA-2026-00042
# INVOICE_PAYMENT_DAYS = 30
# INVOICE_REMINDER_DAYS = 14            # between reminders; cron: `backoffice invoices remind`
# BASE_URL = "https://backoffice.example.org"  # every link in mails, PDFs and pay links
# TRUSTED_HOSTS = ["backoffice.example.org"]   # host names served (default: BASE_URL's)
# TRUSTED_PROXIES = 1                           # TLS proxies in front (X-Forwarded-For, -Proto)

# Stripe (online payment of invoices): the webhook endpoint is <BASE_URL>/stripe/webhook.
# STRIPE_SECRET_KEY = "sk_live_..."
# STRIPE_WEBHOOK_SECRET = "whsec_..."
