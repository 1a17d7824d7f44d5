"""Fakes behind the platform's ports, for unit tests."""

from clinic_common.unit_of_work import SqlUnitOfWork


class FakeUnitOfWork(SqlUnitOfWork):
    """Keeps the inbox and committed effects in memory; effects roll back without commit."""

    def __init__(self, store: dict):
        self.store = store
        self._pending: list = []
        self._inbox: list = []

    def __enter__(self):
        self._pending, self._inbox = [], []
        return self

    def __exit__(self, *exc_info):
        self._pending, self._inbox = [], []

    def commit(self):
        self.store.setdefault("effects", []).extend(self._pending)
        self.store.setdefault("inbox", set()).update(self._inbox)
        self._pending, self._inbox = [], []

    def rollback(self):
        self._pending, self._inbox = [], []

    def apply(self, effect):
        self._pending.append(effect)

    def already_processed(self, consumer, event_id):
        return (consumer, event_id) in self.store.get("inbox", set())

    def processed_among(self, consumer, event_ids):
        return {e for e in event_ids if self.already_processed(consumer, e)}

    def mark_processed(self, consumer, event_id, event_type, topic):
        self._inbox.append((consumer, event_id))

    def mark_all_processed(self, consumer, events):
        for event_id, event_type, topic in events:
            self.mark_processed(consumer, event_id, event_type, topic)

    def prepare_batch(self, keys):
        self.store.setdefault("prepared", []).append(keys)
