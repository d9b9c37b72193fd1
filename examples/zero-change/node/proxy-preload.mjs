// Node.js before 24 ignores HTTPS_PROXY in its global fetch (msal-node's
// HTTP client). Preloaded with NODE_OPTIONS=--import=<this file>, undici's
// EnvHttpProxyAgent routes every fetch by HTTPS_PROXY/HTTP_PROXY/NO_PROXY,
// without a change to the app. On Node 24+, NODE_USE_ENV_PROXY=1 does the same.
import { EnvHttpProxyAgent, setGlobalDispatcher } from "undici";

setGlobalDispatcher(new EnvHttpProxyAgent());
