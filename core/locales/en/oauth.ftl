## The OpenID provider's pages: consent, signing out for an application, and the refusals an
## application's request meets.

oauth-consent-title = Allow access
oauth-consent-heading = { $client } wants to use your { $product } account
oauth-consent-unverified = This application registered itself; its name was not checked by anyone. Allow it only if you started this sign-in.
oauth-consent-asks = It asks to:
oauth-consent-return = Afterwards you will be sent back to:
oauth-consent-allow = Allow access
oauth-consent-deny = Deny
oauth-scope-openid = know who you are (your { $product } account id)
oauth-scope-profile = see your username
oauth-scope-email = see your email address and whether it is confirmed
oauth-scope-offline-access = stay signed in while you are away (until you sign out of { $product })
oauth-scope-roles = see your roles
oauth-scope-unknown = an unknown permission

oauth-logout-title = Sign out
oauth-logout-heading = Sign out of { $product }?
oauth-logout-asked = An application asked to sign you out of { $product }.
oauth-logout-confirm = Sign out
oauth-logout-stay = Stay signed in
oauth-signed-out-title = Signed out
oauth-signed-out = You are signed out of { $product }.
oauth-logout-bad-hint = The id_token_hint is not an ID token { $product } issued.
oauth-logout-hint-mismatch = client_id and id_token_hint name different applications.
oauth-logout-needs-hint = { $product } sends you back to the application only when it names your sign-in (id_token_hint).

oauth-request-repeated = The parameter { $name } was given more than once.
oauth-request-no-client = The request names no client (client_id).
oauth-request-unknown-client = The application that sent you here is not known to { $product }.
oauth-request-no-redirect = The request has no redirect_uri.
oauth-request-unregistered-redirect = The application asked to send you to an address it has not registered.
oauth-request-invalid = The application's request is invalid: { $reason }.
oauth-request-failed = The application's request failed: { $reason }.
