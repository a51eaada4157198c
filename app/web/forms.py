"""What page routes share for reading a posted form."""

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData


async def posted_form(request: Request) -> FormData:
    """The form body FastAPI already parsed for the CSRF field (cached on the request), with every field in it."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def form_str(form: FormData, name: str) -> str:
    """A text field's value as sent ("" when absent, or when a file was posted under that name)."""
    value = form.get(name)
    return value if isinstance(value, str) else ""
