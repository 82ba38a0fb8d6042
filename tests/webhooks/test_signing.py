"""Standard Webhooks signatures: the specification's published example, rotation, and what a
receiver refuses (another secret, a changed body, an old timestamp)."""

from __future__ import annotations

import pytest

from competitions.webhooks import signing

# The example of the Standard Webhooks specification.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STAMP = 1614265330
BODY = b'{"test": 2432232314}'


def test_the_specification_example() -> None:
    assert (
        signing.sign(SECRET, MSG_ID, STAMP, BODY)
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_receiver_accepts_what_was_signed_and_refuses_the_rest() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and secret != signing.new_secret()
    sent = signing.headers([secret], MSG_ID, STAMP, BODY)
    signing.verify(secret, sent, BODY, now=STAMP + 10)
    signing.verify(secret, {k.title(): v for k, v in sent.items()}, BODY, now=STAMP)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(signing.new_secret(), sent, BODY, now=STAMP)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, sent, BODY + b" ", now=STAMP)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, sent, BODY, now=STAMP + signing.TOLERANCE + 1)
    with pytest.raises(signing.InvalidSignature):
        signing.verify(secret, {"webhook-id": MSG_ID}, BODY, now=STAMP)


def test_during_a_rotation_both_secrets_verify() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    sent = signing.headers([new, old], MSG_ID, STAMP, BODY)
    assert len(sent["webhook-signature"].split()) == 2
    signing.verify(old, sent, BODY, now=STAMP)
    signing.verify(new, sent, BODY, now=STAMP)
