/**
 * One socket write per batch of frames instead of one per frame.
 *
 * amqplib's multiplexer (`lib/mux.js`) moves the frames queued by every channel to the socket in one
 * synchronous loop, calling `socket.write()` once per frame. With Nagle's algorithm off (`noDelay`) each
 * of those writes is a system call, and a confirmed message over 2 KiB with its headers is two frames
 * (amqplib's single-chunk threshold): at 5,000 messages/s the syscalls cost more CPU than the rest of
 * the publish path. Corking the socket for the duration of the loop turns the batch into one `writev`.
 *
 * This reaches into amqplib internals (`connection.muxer._readIncoming`, `connection.stream`), checked at
 * run time: when they are not there (another amqplib version) nothing is patched and `false` is
 * returned, so the caller can log it; behaviour is unchanged either way, only the number of writes.
 */
interface Corkable {
  cork(): void;
  uncork(): void;
}

interface MuxLike {
  _readIncoming(this: MuxLike): void;
  __bloodbankCoalesced?: true;
}

export function coalesceWrites(connection: unknown): boolean {
  const c = connection as { muxer?: Partial<MuxLike>; stream?: Partial<Corkable> } | null;
  const mux = c?.muxer;
  const out = c?.stream;
  if (!mux || typeof mux._readIncoming !== 'function') return false;
  if (!out || typeof out.cork !== 'function' || typeof out.uncork !== 'function') return false;
  if (mux.__bloodbankCoalesced) return true;
  const socket = out as Corkable;
  const readIncoming = mux._readIncoming;
  mux._readIncoming = function coalescedReadIncoming(this: MuxLike) {
    socket.cork();
    try {
      readIncoming.call(this);
    } finally {
      socket.uncork();
    }
  };
  mux.__bloodbankCoalesced = true;
  return true;
}
