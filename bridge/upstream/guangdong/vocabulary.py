"""Guangdong's vocabulary: the `userobj` fields of `tokeninfo` as the connector hands them
on (lower-case names; `extproperties` turned from `"key=value"` strings into an object),
and their shapes, for checking claim rules that read them."""

from __future__ import annotations

from types import MappingProxyType

from bridge.upstream.guangdong.protocol import TOKEN_FIELDS
from bridge.vocabulary import Shape, SourceField, Vocabulary

_TEXT = ("uid", "cn", "idcardnumber", "telephonenumber", "mail", "realtype")
_CODES = ("usertype", "idcardtype", "sex", "isreal", "creditable_level_of_account")

GUANGDONG = Vocabulary(
    name="guangdong",
    fields=MappingProxyType(
        {
            "useridcode": SourceField(Shape.TEXT),
            **{name: SourceField(Shape.TEXT) for name in _TEXT},
            **{name: SourceField(Shape.CODE) for name in _CODES},
            "createtime": SourceField(Shape.TEXT),
            "creditable_level_of_account_way": SourceField(Shape.TEXT),
            "extproperties": SourceField(Shape.OBJECT, open=True),
        }
    ),
    token_fields=TOKEN_FIELDS,
    display_name="Guangdong's platform",
)
