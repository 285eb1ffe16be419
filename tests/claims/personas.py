"""The test personas of docs/personas.md as iAM Smart returns them.

The values are those of the mock iAM Smart (mock_idps/iamsmart/personas.yaml), written
out here so that these goldens do not change when the mock's fixtures do.

Each profile holds the fields in the shapes of docs/protocols.md §1.11 (what `profiles`
returns), plus `userType` and `lastModifiedDate` from the `getToken` response (§1.6),
which is how the iAM Smart connector hands them to claim mapping.
"""

from __future__ import annotations

from typing import Any

from bridge.model import UpstreamIdentity

PROFILES: dict[str, dict[str, Any]] = {
    "wong-wing-fung": {
        "idNo": {"Identification": "A123456", "CheckDigit": "3"},
        "enName": {"UnstructuredName": "WONG, Wing Fung"},
        "chName": {"ChineseName": "黃詠峯"},
        "chNameVerified": "黃詠峯",
        "birthDate": "19900101",
        "gender": "F",
        "mobileNumber": {"CountryCode": "852", "SubscriberNumber": "91234567"},
        "emailAddress": "wong-wing-fung@example.hk",
        "residentialAddress": {
            "ChiPremisesAddress": {
                "Region": "九龍",
                "ChiDistrict": {"DcDistrict": "油尖旺區", "Sub-district": "旺角"},
                "ChiStreet": {"StreetName": "彌敦道", "BuildingNoFrom": "688"},
                "BuildingName": "示範大廈",
                "ChiBlock": {"BlockNo": "1", "BlockDescriptor": "座"},
                "Chi3dAddress": {
                    "ChiFloor": {"FloorNum": "12"},
                    "ChiUnit": {"UnitNo": "A", "UnitDescriptor": "室"},
                },
            }
        },
        "userType": "default",
        "lastModifiedDate": 1698883200000,
    },
    "lau-chi-ming": {
        "idNo": {"Identification": "R234567", "CheckDigit": "5"},
        "enName": {"UnstructuredName": "LAU, Chi Ming"},
        "birthDate": "19751231",
        "gender": "M",
        "mobileNumber": {"CountryCode": "852", "SubscriberNumber": "61234567"},
        "emailAddress": "lau-chi-ming@example.hk",
        "userType": "sign",
        "lastModifiedDate": 1672531200000,
    },
    "cheung-ka-yan": {
        "idNo": {"Identification": "K345678", "CheckDigit": "1"},
        "enName": {"UnstructuredName": "CHEUNG, Ka Yan"},
        "chName": {"ChineseName": "張嘉欣"},
        "birthDate": "19881212",
        "gender": "F",
        "mobileNumber": {"CountryCode": "852", "SubscriberNumber": "92345678"},
        "emailAddress": "cheung-ka-yan@example.hk",
        "userType": "default",
        "lastModifiedDate": 1680307200000,
    },
    "chan-tai-man": {
        "idNo": {"Identification": "C668668", "CheckDigit": "9"},
        "enName": {"UnstructuredName": "CHAN, Tai Man"},
        "chName": {"ChineseName": "陳大文"},
        "birthDate": "19700101",
        "gender": "M",
        "mobileNumber": {"CountryCode": "852", "SubscriberNumber": "93456789"},
        "emailAddress": "chan-tai-man@example.hk",
        "userType": "default",
        "lastModifiedDate": 1640995200000,
    },
}


def identity(persona: str) -> UpstreamIdentity:
    return UpstreamIdentity(
        idp="iamsmart", subject=f"openid-of-{persona}", attributes=PROFILES[persona]
    )


def profile_identity(attributes: dict[str, Any]) -> UpstreamIdentity:
    return UpstreamIdentity(idp="iamsmart", subject="openid-under-test", attributes=attributes)
