"""The auth module: accounts, argon2id passwords, RS256 tokens, sessions and revocation.

Routes live under ``/api/v1/auth``. Only this module holds the private signing key; every
module verifies tokens with the public key (``streamstack.kernel.jwt``). Revoked token ids
go to the ``revoked-tokens`` bucket that the kernel's authenticator checks. Wiring is in
:mod:`streamstack.auth.module`.
"""
