## Zwei-Faktor-Authentifizierung: eine Authenticator-App einrichten, der zweite Schritt der
## Anmeldung und Wiederherstellungscodes.

tf-title = Zwei-Faktor-Authentifizierung
tf-status-on = Die Zwei-Faktor-Authentifizierung ist eingeschaltet: Zum Anmelden brauchen Sie außer Ihrem Passwort einen Code aus Ihrer Authenticator-App.
tf-status-off = Die Zwei-Faktor-Authentifizierung ist ausgeschaltet. Ist sie eingeschaltet, brauchen Sie zum Anmelden außer Ihrem Passwort einen Code aus einer Authenticator-App.
tf-recovery-left = Verbleibende Wiederherstellungscodes: { $count }.
tf-recovery-manage = Wiederherstellungscodes verwalten
tf-reauth-link = Bestätigen Sie, dass Sie es sind
tf-off-heading = Ausschalten
tf-off-password = Passwort
tf-off-button = Zwei-Faktor-Authentifizierung ausschalten
tf-set-up-button = Authenticator-App einrichten
tf-enrol-add = Schlüssel in Ihre App übernehmen
tf-enrol-scan = Scannen Sie diesen Code mit Ihrer Authenticator-App und geben Sie dann den { $digits }-stelligen Code ein, den sie anzeigt.
tf-enrol-qr = QR-Code des Schlüssels, der darunter als Text steht
tf-enrol-key = Oder geben Sie diesen Schlüssel ein
tf-enrol-settings = Einstellungen
tf-enrol-settings-value = { $algorithm }, { $digits } Stellen, { $period } Sekunden
tf-enrol-confirm-heading = Mit einem Code bestätigen
tf-enrol-code = Code aus der App
tf-enrol-confirm = Zwei-Faktor-Authentifizierung einschalten
tf-enrol-restart = Mit einem neuen Schlüssel neu beginnen
tf-on-title = Zwei-Faktor-Authentifizierung eingeschaltet
tf-on = Die Zwei-Faktor-Authentifizierung ist eingeschaltet. Erzeugen Sie jetzt Wiederherstellungscodes, falls Sie Ihr Telefon verlieren.
tf-generate-codes = Wiederherstellungscodes erzeugen
tf-off-title = Zwei-Faktor-Authentifizierung ausgeschaltet
tf-off = Die Zwei-Faktor-Authentifizierung ist ausgeschaltet, und Ihre Wiederherstellungscodes sind gelöscht.
tf-select-title = Zweiter Schritt
tf-select-legend = Wie möchten Sie bestätigen, dass Sie es sind?
tf-select-choose = Wählen Sie einen der folgenden Wege.
tf-method-totp = Mit einem Code aus meiner Authenticator-App
tf-method-recovery-code = Mit einem meiner Wiederherstellungscodes
tf-method-webauthn = Mit meinem Passkey oder Sicherheitsschlüssel
tf-select-continue = Weiter
tf-code-title = Code eingeben
tf-code-label = { $digits }-stelliger Code aus Ihrer Authenticator-App
tf-code-submit = Anmelden
tf-other-method = Einen anderen Weg wählen
tf-start-over = Neu beginnen

recovery-title = Wiederherstellungscodes
recovery-sign-in-title = Wiederherstellungscode verwenden
recovery-code-label = Wiederherstellungscode
recovery-code-hint = Er sieht so aus: abcd-efgh-ijkl-mnop.
recovery-fresh-warning = Schreiben Sie diese Codes jetzt auf oder drucken Sie sie aus: Sie werden nur dieses eine Mal angezeigt.
recovery-fresh-once = Jeder Code funktioniert einmal; Ihre bisherigen Codes gelten nicht mehr.
recovery-fresh-heading = Ihre neuen Wiederherstellungscodes
recovery-left = Unbenutzte Wiederherstellungscodes: { $count }.
recovery-generate = Neue Codes erzeugen (die alten gelten dann nicht mehr)
recovery-need-two-factor = Richten Sie zuerst die Zwei-Faktor-Authentifizierung ein; Wiederherstellungscodes sichern sie ab.
recovery-set-up = Zwei-Faktor-Authentifizierung einrichten

## Email as a second factor.

tf-method-email = Einen per E-Mail gesendeten Code
tf-email-title = Code aus der E-Mail eingeben
tf-email-sent = Wir haben einen Code an die Adresse Ihres Kontos gesendet. Er gilt 10 Minuten lang, nur für diese Anmeldung.
tf-email-code-label = 8-stelliger Code aus der E-Mail
tf-set-up-email-button = Per E-Mail gesendete Codes verwenden
tf-email-enrol-heading = Prüfen Sie Ihre E-Mails
tf-email-enrol-intro = Wir haben einen Code an die Adresse Ihres Kontos gesendet. Geben Sie ihn hier ein, um E-Mail als zweiten Faktor einzuschalten.
tf-email-enrol-confirm = E-Mail-Codes einschalten
tf-status-on-email = Die Anmeldung erfordert neben Ihrem Passwort einen an Ihre Adresse gesendeten Code.
