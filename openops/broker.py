"""kombu's filesystem transport (`CELERY_BROKER_URL=filesystem://`, what `make run` uses), made
safe for a producer and a consumer working at the same time.

kombu 5.7 writes a message in place (the file exists, empty, before its bytes are written) and
reads without a lock, so a worker listing the folder can read half a message; the
`JSONDecodeError` that followed stopped the worker (issue 29). Here a message is written under a
name no reader looks at and renamed into place once complete (a rename is atomic within a
folder), a reader claims a message by renaming it out of the queue folder, and a message that
still cannot be read (a file cut short by a full disk, a crash or an older producer) is set
aside with an error in the log instead of ending the worker: the inbox's sweep processes its
body again (DESIGN §5).

`openops.celery` registers this transport under the name `filesystem`.
"""

import contextlib
import logging
import os
import uuid
from queue import Empty
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)
DAMAGED_SUFFIX = ".damaged"  # a message set aside keeps its name plus this, in processed_folder


def message_name(queue: str) -> str:
    """kombu's name of a message: ordered by time, then the queue it belongs to."""
    return f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"


def is_message_of(filename: str, queue: str) -> bool:
    return filename.partition(".")[2] == f"{queue}.msg"


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Write the message under a hidden temporary name, then rename it into the queue: a
        reader sees the whole message or none of it. A write that fails leaves nothing."""
        folder = self.data_folder_out
        final = os.path.join(folder, message_name(queue))
        partial = os.path.join(folder, f".{uuid.uuid4()}.partial")  # never a message name
        try:
            with open(partial, "wb") as file:  # buffered: a short write raises, never truncates
                file.write(str_to_bytes(dumps(payload)))
            os.rename(partial, final)
        except OSError as exc:
            _remove_quietly(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue):
        """The oldest readable message of `queue`; one that cannot be decoded is set aside."""
        for filename in sorted(os.listdir(self.data_folder_in)):
            if not is_message_of(filename, queue):
                continue
            claimed = self._claim(filename)
            if claimed is None:
                continue  # another consumer took it
            payload = self._read(claimed)
            if payload is not None:
                return payload
        raise Empty()

    def _claim(self, filename: str) -> str | None:
        """Move the message out of the queue folder; None if it is gone already."""
        claimed = os.path.join(self.processed_folder, filename)
        try:
            os.rename(os.path.join(self.data_folder_in, filename), claimed)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ChannelError(f"Cannot take {filename!r} from the queue") from exc
        return claimed

    def _read(self, path: str):
        try:
            with open(path, "rb") as file:
                raw = file.read()
        except OSError as exc:
            raise ChannelError(f"Cannot read file {path!r} from queue.") from exc
        try:
            payload = loads(bytes_to_str(raw))
        except ValueError:  # JSONDecodeError and UnicodeDecodeError
            os.replace(path, path + DAMAGED_SUFFIX)
            log.error(
                "The broker message %s (%d bytes) cannot be read; it is kept as %s%s and its "
                "work is done again by the sweep.",
                os.path.basename(path), len(raw), path, DAMAGED_SUFFIX,
            )  # fmt: skip
            return None
        if not self.store_processed:
            os.remove(path)
        return payload


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


class Transport(filesystem.Transport):
    """kombu's filesystem transport with the Channel above."""

    Channel = Channel
