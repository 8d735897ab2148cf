"""Documents we print: the one jinja2 + WeasyPrint path, PDF/A, our objection form."""
