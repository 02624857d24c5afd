"""Subscribe-message notifications: shared access token, outbox dispatcher, subscriptions.

The outbox rows are written by ``projections.notifications``; see ``docs/notifications.md``.
"""

from backend.notifications.access_tokens import SharedAccessTokens
from backend.notifications.dispatcher import Dispatcher, RetryPolicy
from backend.notifications.wiring import build_dispatcher

__all__ = ["Dispatcher", "RetryPolicy", "SharedAccessTokens", "build_dispatcher"]
