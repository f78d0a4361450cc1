"""A small OpenID Connect issuer on loopback for the sign-in tests: discovery, JWKS, an
authorize endpoint that signs the user in at once, a token endpoint that checks the client and
the PKCE verifier and returns an RS256-signed ID token, and userinfo. The next token can be made
wrong on purpose (`issuer.spoil = "signature" | "audience" | "expired" | "issuer"`)."""

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, make_server

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID, CLIENT_SECRET = "openops", "issuer-test-secret"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class Issuer:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.user = {"sub": "u-1", "preferred_username": "olaf", "email": "olaf@example.org"}
        self.groups: list[str] = []
        self.spoil: str | None = None
        self.codes: dict[str, dict] = {}
        self.token_requests: list[dict] = []
        self.logouts: list[dict] = []
        self.server = make_server("127.0.0.1", 0, self.app, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # --- endpoints -------------------------------------------------------------------------

    def app(self, environ, start_response):
        path, method = environ["PATH_INFO"], environ["REQUEST_METHOD"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path == "/.well-known/openid-configuration":
            return self._json(start_response, self._discovery())
        if path == "/jwks":
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return self._json(
                start_response, {"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}
            )
        if path == "/authorize":
            return self._authorize(start_response, query)
        if path == "/token" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = {
                k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()
            }
            return self._token(start_response, form, environ.get("HTTP_AUTHORIZATION", ""))
        if path == "/logout":  # RP-initiated logout: back to where OpenOps asked
            self.logouts.append(query)
            start_response("302 Found", [("Location", query.get("post_logout_redirect_uri", "/"))])
            return [b""]
        if path == "/userinfo":
            return self._json(start_response, {**self.user, "groups": self.groups})
        return self._json(start_response, {"error": "not_found"}, "404 Not Found")

    def _discovery(self):
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "end_session_endpoint": f"{self.url}/logout",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
        }

    def _authorize(self, start_response, query):
        assert query.get("client_id") == CLIENT_ID and query.get("response_type") == "code"
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        start_response("302 Found", [("Location", target)])
        return [b""]

    def _token(self, start_response, form, authorization):
        self.token_requests.append(form)
        request = self.codes.pop(form.get("code", ""), None)
        secret = form.get("client_secret")
        if authorization.startswith("Basic "):
            secret = base64.b64decode(authorization[6:]).decode().split(":", 1)[1]
        if request is None or secret != CLIENT_SECRET:
            return self._json(start_response, {"error": "invalid_grant"}, "400 Bad Request")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if request.get("code_challenge") != challenge.rstrip(b"=").decode():
            return self._json(
                start_response, {"error": "invalid_grant", "why": "pkce"}, "400 Bad Request"
            )
        return self._json(
            start_response,
            {
                "access_token": secrets.token_urlsafe(16),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self.id_token(nonce=request.get("nonce")),
            },
        )

    def id_token(self, nonce=None) -> str:
        now = int(time.time())
        claims = {
            **self.user,
            "groups": self.groups,
            "iss": self.url,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
        }
        if nonce:
            claims["nonce"] = nonce
        key = self.key
        if self.spoil == "signature":
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        elif self.spoil == "audience":
            claims["aud"] = "someone-else"
        elif self.spoil == "expired":
            claims["exp"] = now - 600
        elif self.spoil == "issuer":  # signed with the right key, but names another issuer
            claims["iss"] = "https://elsewhere.example"
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    @staticmethod
    def _json(start_response, data, status="200 OK"):
        body = json.dumps(data).encode()
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]
