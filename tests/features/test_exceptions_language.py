"""The language of domain errors: ``str(error)`` stays the English, ``vi=`` adds the Vietnamese
that :func:`features.exceptions.message` gives a Vietnamese page; both survive pickling and copying."""

from __future__ import annotations

import copy
import pickle

import pytest

from api.storage.errors import ConflictError, IllegalTransitionError, ServiceBusyError
from api.storage.support import NominationRefusedError, SupportInvalidError
from features.exceptions import CnhtError, IngestLimitError, UnknownCodeError, message

EN = "Round SR-1 is decided; its decisions can no longer be changed."
VI = "Đợt SR-1 đã chốt quyết định; không thể thay đổi các quyết định nữa."


def test_str_is_the_english_and_message_picks_the_language():
    error = ConflictError(EN, vi=VI)
    assert str(error) == EN and error.args == (EN,) and error.message_vi == VI
    assert message(error, "vi") == VI
    assert message(error, "en") == EN


def test_without_vietnamese_every_language_gets_the_english():
    error = CnhtError(EN)
    assert error.message_vi is None and message(error, "vi") == EN == message(error, "en")
    assert message(ValueError("not ours"), "vi") == "not ours"  # any exception, no attribute
    assert message(CnhtError(EN, vi=""), "vi") == EN  # an empty translation is none


def test_an_unknown_code_error_keeps_its_plain_message():
    error = UnknownCodeError("Unknown code 'x'.", vi="Mã 'x' không có trong danh mục.")
    assert str(error) == "Unknown code 'x'." and message(error, "vi") == "Mã 'x' không có trong danh mục."


@pytest.mark.parametrize("error", [
    CnhtError(EN, vi=VI),
    SupportInvalidError(EN, vi=VI),
    NominationRefusedError(EN, "tax_code", vi=VI),
    IllegalTransitionError(EN, "contacted", ("met", "declined"), vi=VI),
    ServiceBusyError(EN, 3, vi=VI),
    IngestLimitError("max_upload_rows", EN, vi=VI),
    UnknownCodeError(EN, vi=VI),
], ids=lambda e: type(e).__name__)
def test_pickling_and_copying_keep_the_message_the_vietnamese_and_the_attributes(error):
    for twin in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(twin) is type(error) and str(twin) == EN and twin.message_vi == VI
        assert twin.__dict__ == error.__dict__ and twin.args == error.args


def test_subclasses_with_their_own_arguments_take_vi_and_keep_them():
    refused = NominationRefusedError(EN, "in_hanoi", vi=VI)
    assert refused.rule == "in_hanoi" and refused.status_code == 422 and message(refused, "vi") == VI
    moved = IllegalTransitionError(EN, None, ("contacted",))
    assert (moved.current, moved.allowed, moved.message_vi) == (None, ("contacted",), None)
    busy = ServiceBusyError(EN, 7, vi=VI)
    assert busy.retry_after == 7 and str(busy) == EN
    limit = IngestLimitError("max_columns", EN)
    assert limit.limit == "max_columns" and str(limit) == EN and limit.message_vi is None


def test_vi_is_keyword_only():
    with pytest.raises(TypeError):
        IngestLimitError("max_columns", EN, VI)


def test_an_invalid_id_says_it_in_vietnamese_too():
    from features.exceptions import message
    from features.identity import InvalidIdError, normalize_id

    try:
        normalize_id("")
    except InvalidIdError as error:
        assert str(error).startswith("Expected a non-empty ID")
        assert message(error, "vi").startswith("cần ID không trống") and message(error, "en") == str(error)
    else:
        raise AssertionError("an empty ID was accepted")
