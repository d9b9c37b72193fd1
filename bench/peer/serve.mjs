// Starts the peer mock (axa oauth2-mock-server, pinned in package.json) on
// loopback for `fic-harness bench`, and prints one JSON ready line:
// {"url": "...", "token_endpoint": "..."}.
//
// Usage: node serve.mjs [--port N] [--tls KEY CERT]
import { OAuth2Server } from 'oauth2-mock-server';

const args = process.argv.slice(2);
let port = 0;
let key;
let cert;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--port') port = Number(args[++i]);
  else if (args[i] === '--tls') { key = args[++i]; cert = args[++i]; }
  else throw new Error(`unknown argument ${args[i]}`);
}

const server = new OAuth2Server(key, cert);
// One RS256 key, as the mock has: every token costs one RSA signature.
await server.issuer.keys.generate('RS256');
await server.start(port, '127.0.0.1');
const url = server.issuer.url.replace('127.0.0.1', 'localhost');
console.log(JSON.stringify({ url, token_endpoint: `${url}/token` }));

const stop = async () => { await server.stop(); process.exit(0); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
