## Anmeldung mit Code: ein an die Adresse des Kontos gesendeter Code, der mitgesendete Link und
## der Gerätecode, nach dem der Link in einem anderen Browser fragt.

login-mail-code = Anmeldecode per E-Mail senden
us-send-code = Code per E-Mail senden
us-title = Mit Code anmelden
us-intro = Geben Sie Ihre E-Mail-Adresse oder Ihren Benutzernamen ein. Wir senden einen Anmeldecode und einen Link an die Adresse des Kontos.
us-with-password = Mit Passwort anmelden
us-code-title = Prüfen Sie Ihre E-Mails
us-code-sent = Wenn ein Konto diese E-Mail-Adresse oder diesen Benutzernamen verwendet, ist ein Anmeldecode an seine Adresse unterwegs. Er gilt { $minutes } Minuten lang, in diesem Browser.
us-code-label = Anmeldecode
us-code-submit = Anmelden
us-device-title = Öffnen Sie den Link auf einem anderen Gerät?
us-device-intro = Der Link in der E-Mail meldet diesen Browser an. Anderswo geöffnet, fragt er nach diesem Gerätecode:
us-code-again = Neuen Code senden
us-link-title = Auf diesem Gerät anmelden?
us-link-intro = Dieser Link wurde in einem anderen Browser geöffnet als dem, der ihn angefordert hat; es wurde niemand angemeldet. Um sich hier anzumelden, geben Sie den Gerätecode ein, der im anfordernden Browser angezeigt wird.
us-link-code-label = Gerätecode
us-link-submit = Hier anmelden
us-link-start-here = Stattdessen in diesem Browser einen Code anfordern
us-setup-title = Anmeldemöglichkeiten
us-setup-active = Sie können sich anmelden mit: { $methods }.
us-method-password = Ihrem Passwort
us-method-email = einem per E-Mail gesendeten Code
us-method-authenticator = Ihrer Authenticator-App
us-method-passkey = einem Passkey
register-password-optional = Lassen Sie das Passwort leer, um sich mit per E-Mail gesendeten Codes anzumelden.

mail-us-code-subject = Ihr Anmeldecode
mail-us-code-body =
    Ihr Anmeldecode für { $product } lautet { $code }. Er gilt { $minutes } Minuten lang, einmal, in dem Browser, in dem Sie ihn angefordert haben.

    Oder öffnen Sie diesen Link in diesem Browser (er gilt { $link_minutes } Minuten lang):
    { $link }

    Wenn Sie sich nicht anmelden wollten, ignorieren Sie diese E-Mail: Ohne den anfordernden Browser kann niemand den Code verwenden.
