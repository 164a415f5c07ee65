## Die Seiten des OpenID-Providers: Einwilligung, Abmelden für eine Anwendung und die
## Ablehnungen, auf die die Anfrage einer Anwendung trifft.

oauth-consent-title = Zugriff erlauben
oauth-consent-heading = { $client } möchte Ihr { $product }-Konto verwenden
oauth-consent-unverified = Diese Anwendung hat sich selbst registriert; ihren Namen hat niemand geprüft. Erlauben Sie den Zugriff nur, wenn Sie diese Anmeldung selbst begonnen haben.
oauth-consent-asks = Sie möchte:
oauth-consent-return = Danach werden Sie zurückgeschickt an:
oauth-consent-allow = Zugriff erlauben
oauth-consent-deny = Ablehnen
oauth-scope-openid = wissen, wer Sie sind (die Kennung Ihres { $product }-Kontos)
oauth-scope-profile = Ihren Benutzernamen sehen
oauth-scope-email = Ihre E-Mail-Adresse sehen und ob sie bestätigt ist
oauth-scope-offline-access = Sie angemeldet halten, während Sie nicht da sind (bis Sie sich von { $product } abmelden)
oauth-scope-roles = Ihre Rollen sehen
oauth-scope-unknown = eine unbekannte Berechtigung

oauth-logout-title = Abmelden
oauth-logout-heading = Von { $product } abmelden?
oauth-logout-asked = Eine Anwendung hat darum gebeten, Sie von { $product } abzumelden.
oauth-logout-confirm = Abmelden
oauth-logout-stay = Angemeldet bleiben
oauth-signed-out-title = Abgemeldet
oauth-signed-out = Sie sind von { $product } abgemeldet.
oauth-logout-bad-hint = Der id_token_hint ist kein ID-Token, das { $product } ausgestellt hat.
oauth-logout-hint-mismatch = client_id und id_token_hint nennen verschiedene Anwendungen.
oauth-logout-needs-hint = { $product } schickt Sie nur dann zur Anwendung zurück, wenn sie Ihre Anmeldung nennt (id_token_hint).

oauth-request-repeated = Der Parameter { $name } wurde mehr als einmal angegeben.
oauth-request-no-client = Die Anfrage nennt keine Anwendung (client_id).
oauth-request-unknown-client = Die Anwendung, die Sie hierher geschickt hat, ist { $product } nicht bekannt.
oauth-request-no-redirect = Die Anfrage hat keine redirect_uri.
oauth-request-unregistered-redirect = Die Anwendung wollte Sie an eine Adresse schicken, die sie nicht registriert hat.
oauth-request-invalid = Die Anfrage der Anwendung ist ungültig: { $reason }.
oauth-request-failed = Die Anfrage der Anwendung ist fehlgeschlagen: { $reason }.
