"""The public surface of node.messages, pinned."""

import node.messages


def test_public_names():
    assert sorted(node.messages.__all__) == [
        "Field",
        "MAX_CLOCK_SKEW",
        "MessageType",
        "PROFILE_FIELDS",
        "Reason",
        "SignedMessage",
        "TYPES",
        "decode_message",
        "domain_separator",
        "encode_message",
        "message_digest",
        "message_from_json",
        "message_to_json",
        "sign_message",
        "typed_data",
        "verify_batch",
        "verify_message",
    ]
    for name in node.messages.__all__:
        assert getattr(node.messages, name) is not None
