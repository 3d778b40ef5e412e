"""One error envelope for the whole API: ``{"error": {"code": ..., "message": ..., "details": {...}}}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


def error_response(code: str, message: str, http_status: int = 400, details: Any = None) -> Response:
    return Response(error_body(code, message, details), status=http_status)


def api_field_names(error: DjangoValidationError, names: Mapping[str, str]) -> DjangoValidationError:
    """A service's refusal with the API's parameter names (``names``: service field → API name)."""
    if not hasattr(error, "error_dict"):
        return error
    return DjangoValidationError({names.get(name, name): messages for name, messages in error.error_dict.items()})


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _first_message(value)
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def _first_code(error: DjangoValidationError) -> str:
    for item in error.error_list if not hasattr(error, "error_dict") else sum(error.error_dict.values(), []):
        if item.code:
            return str(item.code)
    return "invalid"


def _django_validation(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        details = {field: [str(m) for m in DjangoValidationError(messages).messages]
                   for field, messages in error.error_dict.items()}  # fmt: skip
        result = exceptions.ValidationError(details)
    else:
        result = exceptions.ValidationError({"non_field_errors": error.messages})
    return result


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    code_override = None
    if isinstance(exc, DjangoValidationError):
        code_override = getattr(exc, "code", None) or _first_code(exc)
        exc = _django_validation(exc)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        logger.exception("API error", exc_info=exc)
        set_rollback()
        return error_response("server_error", _("Something went wrong on our side; try again later."), 500)
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    detail = exc.detail
    if isinstance(exc, exceptions.ValidationError):
        codes = exc.get_codes()
        code = code_override or "invalid"
        if isinstance(codes, dict) and code_override is None:
            code = "invalid"
        body = error_body(
            code, _first_message(detail), detail if isinstance(detail, dict) else {"non_field_errors": detail}
        )
    else:
        codes = exc.get_codes()
        code = codes if isinstance(codes, str) else exc.default_code
        body = error_body(str(code), _first_message(detail))
    set_rollback()
    return Response(body, status=exc.status_code or status.HTTP_400_BAD_REQUEST, headers=headers)
