"""iAM Smart's vocabulary: the profile fields it returns and their shapes (the fields
of the profiles API, and `userType`/`lastModifiedDate`, which come with the token)."""

from __future__ import annotations

from types import MappingProxyType

from bridge.vocabulary import Shape, SourceField, Vocabulary, struct


def _phone() -> SourceField:
    return struct(
        Shape.PHONE,
        CountryCode=Shape.TEXT,
        NationalDestinationCode=Shape.TEXT,
        SubscriberNumber=Shape.TEXT,
    )


def _address() -> SourceField:
    # The HK structured-address schema is only partly public (§1.11): the four forms
    # are known, what lies inside them is checked by the address transform at run time.
    forms = ("ChiPremisesAddress", "EngPremisesAddress", "FreeFormatAddress", "PostBoxAddress")
    return SourceField(
        Shape.HK_ADDRESS,
        MappingProxyType({f: SourceField(Shape.OBJECT, open=True) for f in forms}),
    )


IAMSMART = Vocabulary(
    name="iamsmart",
    fields=MappingProxyType(
        {
            "idNo": struct(Shape.HKIC, Identification=Shape.TEXT, CheckDigit=Shape.CODE),
            "enName": struct(Shape.OBJECT, UnstructuredName=Shape.TEXT),
            "chName": struct(Shape.OBJECT, ChineseName=Shape.TEXT),
            "chNameVerified": SourceField(Shape.TEXT),
            "birthDate": SourceField(Shape.YYYYMMDD),
            "gender": SourceField(Shape.CODE),
            "prefix": SourceField(Shape.TEXT),
            "maritalStatus": SourceField(Shape.CODE),
            "homeTelNumber": _phone(),
            "officeTelNumber": _phone(),
            "mobileNumber": _phone(),
            "emailAddress": SourceField(Shape.TEXT),
            "residentialAddress": _address(),
            "postalAddress": _address(),
            "educationLevel": SourceField(Shape.CODE),
            "addressDocInfo": SourceField(Shape.OBJECT, open=True),
            "addressDocFile": SourceField(Shape.OBJECT, open=True),
            "userType": SourceField(Shape.CODE),
            "lastModifiedDate": SourceField(Shape.EPOCH_MS),
        }
    ),
    token_fields=frozenset({"userType", "lastModifiedDate"}),
    display_name="iAM Smart",
)
