"""`ioc bench burst`'s bad messages are rejected for the reason the bench counts them under."""

import pytest

from collectors.bench_burst import REASONS, bad_message
from collectors.decode import decode
from ioc.errors import PayloadRejected


@pytest.mark.parametrize("i", range(8))
def test_each_bad_message_is_rejected_with_its_reason(i):
    topic, payload = bad_message(i)
    with pytest.raises(PayloadRejected) as rejected:
        decode(topic, payload, 1_800_000_000 * 10**9)
    assert rejected.value.reason == REASONS[i % len(REASONS)]
