"""Users, roles, login with throttling, password reset."""
