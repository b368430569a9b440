"""kill -9 a server process in the middle of a surge of comments, then start it again:
every acknowledged receipt is stored, no comment is half-written, the audit chain holds."""

import threading
import time
from collections import Counter

import pytest

from tests.faults.world import Surge, check_nothing_lost_or_half_written
from tests.servers import Server, bearer_tokens, own_database, populate, run, run_async

CITIZENS = 16


def test_kill_9_in_the_middle_of_a_surge_loses_nothing_acknowledged(
        tmp_path_factory: pytest.TempPathFactory) -> None:
    with own_database(tmp_path_factory.mktemp("kill"), "kill") as url:
        run(url, "migrate")
        draft_id, emails = populate(url, CITIZENS)
        server = Server(url)
        try:
            surge = Surge(server.base, draft_id, run_async(bearer_tokens(server.base, emails)))

            def killer() -> None:
                # Kill once the surge is well under way, with requests in flight.
                while len(surge.acknowledged) < 40 and not surge.stop:
                    time.sleep(0.01)
                server.kill()

            thread = threading.Thread(target=killer)
            thread.start()

            def until(s: Surge) -> bool:
                return s.statuses.count("ConnectError") >= CITIZENS or len(s.acknowledged) > 200

            run_async(surge.run(CITIZENS, until))
            thread.join()
            before_kill = len(surge.acknowledged)
            assert before_kill >= 40
            failed = [s for s in surge.statuses if isinstance(s, str)]
            assert failed, "the kill did not interrupt the surge"

            # Restarted (on a new port, as a supervisor would), the surge goes on.
            server.close()
            server = Server(url)
            surge.base, surge.stop = server.base, False
            run_async(surge.run(CITIZENS, lambda s: len(s.acknowledged) >= before_kill + 40))
        finally:
            server.close()

        statuses = Counter(s for s in surge.statuses if isinstance(s, int))
        assert set(statuses) <= {201, 429}, statuses  # refused or accepted, never a 5xx
        stored = check_nothing_lost_or_half_written(url, draft_id, surge.acknowledged)
        # Some comments may have been committed while their answer was lost with the process.
        assert stored >= len(surge.acknowledged)
        assert "audit log intact" in run(url, "audit", "verify").stdout
