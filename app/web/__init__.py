"""HTML pages: sign-in and the signed-in shell, with CSRF protection on every form."""
