// Raw HTTP and WebSocket over TCP for the hostile-input tests: request lines, headers and frames
// exactly as written, with no client library normalising them.
import net from 'node:net';
import crypto from 'node:crypto';

/** Sends `GET target` with `headers`; resolves with { status, headers, body } (status 0: closed without a response). */
export function rawGet(port, target, headers = {}, timeout = 10000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no answer to GET ${target.slice(0, 120)} within ${timeout} ms`)); }, timeout);
    socket.on('connect', () => {
      const lines = [`GET ${target} HTTP/1.1`, ...Object.entries({ Host: `127.0.0.1:${port}`, ...headers }).filter(([, v]) => v != null).map(([k, v]) => `${k}: ${v}`), 'Connection: close', '', ''];
      socket.write(lines.join('\r\n'));
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const [head, ...rest] = raw.split('\r\n\r\n');
      const match = /^HTTP\/1\.1 (\d+)/.exec(head);
      const parsed = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) parsed[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: match ? Number(match[1]) : 0, headers: parsed, body: rest.join('\r\n\r\n') });
    });
  });
}

/** A minimal WebSocket client: `messages` collects text frames; `closed` resolves on close. */
export function rawWebSocket(port, headers = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const key = crypto.randomBytes(16).toString('base64');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const ws = { messages: [], socket, closed: null };
    ws.closed = new Promise((r) => socket.on('close', r));
    socket.on('error', () => {});
    socket.on('connect', () => {
      const lines = [
        'GET /@metamon/ws HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13',
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', '',
      ];
      socket.write(lines.join('\r\n'));
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString();
        buffer = buffer.subarray(end + 4);
        if (!/^HTTP\/1\.1 101/.test(head)) { socket.destroy(); reject(Object.assign(new Error(head.split('\r\n')[0]), { status: Number(head.split(' ')[1]) })); return; }
        upgraded = true;
        resolve(ws);
      }
      for (;;) {
        if (buffer.length < 2) return;
        let length = buffer[1] & 0x7f;
        let offset = 2;
        if (length === 126) { if (buffer.length < 4) return; length = buffer.readUInt16BE(2); offset = 4; }
        else if (length === 127) { if (buffer.length < 10) return; length = Number(buffer.readBigUInt64BE(2)); offset = 10; }
        if (buffer.length < offset + length) return;
        const opcode = buffer[0] & 0x0f;
        const payload = buffer.subarray(offset, offset + length);
        buffer = buffer.subarray(offset + length);
        if (opcode === 1) ws.messages.push(payload.toString());
      }
    });
    /** Sends one masked frame (opcode 1 text, 2 binary). */
    ws.send = (data, opcode = 1) => {
      const payload = Buffer.isBuffer(data) ? data : Buffer.from(data);
      const mask = crypto.randomBytes(4);
      let header;
      if (payload.length < 126) header = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
      else if (payload.length < 65536) { header = Buffer.alloc(4); header[0] = 0x80 | opcode; header[1] = 0x80 | 126; header.writeUInt16BE(payload.length, 2); }
      else { header = Buffer.alloc(10); header[0] = 0x80 | opcode; header[1] = 0x80 | 127; header.writeBigUInt64BE(BigInt(payload.length), 2); }
      const masked = Buffer.alloc(payload.length);
      for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i & 3];
      return new Promise((r) => socket.write(Buffer.concat([header, mask, masked]), r));
    };
    ws.close = () => socket.destroy();
  });
}
