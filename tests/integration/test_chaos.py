"""The short chaos run (tests/chaos/chaos.py, 10 kills): nodd follows a BIND primary that
receives a stream of delegations and is killed with SIGKILL at random moments (at random,
during start-up, just after an update while its IXFR is on the way), restarted on the same
database each time. Every delegation must be listed exactly once in the stream by seq,
first_seen within the transfer that carried it, sqlite intact, no serial backwards. The
seed is printed (and NODD_CHAOS_SEED repeats a run's kill schedule)."""
import os
import random
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "chaos"))

from conftest import need  # noqa: E402


def test_kill9_at_random_moments_loses_and_doubles_nothing(tmp_path, capsys):
    """10 kills: no delegation lost or doubled, first_seen within its transfer, integrity
    ok, serials never backwards."""
    need("named")
    need("nsupdate")
    pytest.importorskip("websocket", reason="python3-websocket is not installed")
    import chaos
    seed = int(os.environ.get("NODD_CHAOS_SEED") or random.SystemRandom().randrange(1 << 31))
    lines = []
    summary, problems = chaos.run(str(tmp_path), 10, seed, log=lines.append)
    with capsys.disabled():
        print("\n" + "\n".join(lines + [summary]))
    assert not problems, "seed %d: %s\n%s" % (seed, summary, "\n".join(problems))
    assert summary.startswith("10 kills, ") and summary.endswith(" 0 lost, 0 duplicated")
