## Registrieren und Anmelden: die Startseite, die Anmelde- und Registrierungsformulare, das
## Zurücksetzen des Passworts, die Bestätigung der E-Mail-Adresse, das Ändern des Passworts und
## die Bestätigung, dass Sie es sind.

index-intro = Melden Sie sich bei Ihrem Konto an oder erstellen Sie ein neues.
index-sign-in = Anmelden
index-passkey = Mit einem Passkey anmelden
index-register = Konto erstellen

login-title = Anmelden
login-identity = E-Mail-Adresse oder Benutzername
login-password = Passwort
login-submit = Anmelden
login-or = oder
login-passkey = Mit einem Passkey anmelden
login-passkey-page = Weitere Möglichkeiten mit einem Passkey
login-register = Konto erstellen
login-forgot = Passwort vergessen?

register-title = Konto erstellen
register-email = E-Mail-Adresse
register-username = Benutzername (optional)
register-username-hint = 3 bis 32 Buchstaben, Ziffern, „_“, „.“ oder „-“, am Anfang ein Buchstabe oder eine Ziffer.
register-password = Passwort
register-password-hint = { $min } bis { $max } Zeichen.
register-submit = Konto erstellen
register-sign-in = Stattdessen anmelden
register-done-title = Registrierung eingegangen
register-done = Ihre Registrierung ist eingegangen. War die Adresse neu, gibt es das Konto jetzt und Sie können sich anmelden.

reset-title = Passwort zurücksetzen
reset-intro = Geben Sie die E-Mail-Adresse Ihres Kontos ein. Wir senden Ihnen dann einen Link, mit dem Sie ein neues Passwort wählen können.
reset-email = E-Mail-Adresse
reset-send = Link zusenden
reset-new-intro = Wählen Sie ein neues Passwort.
reset-password = Neues Passwort
reset-password-hint = { $min } bis { $max } Zeichen.
reset-password-confirm = Neues Passwort wiederholen
reset-submit = Passwort festlegen
reset-sign-in = Anmelden
reset-sent-title = Prüfen Sie Ihre E-Mails
reset-sent = Falls ein Konto diese Adresse verwendet, ist ein Link zum Zurücksetzen seines Passworts unterwegs.
reset-done-title = Passwort geändert
reset-done = Ihr Passwort wurde geändert und alle Sitzungen wurden abgemeldet. Melden Sie sich mit dem neuen Passwort an.

confirm-done-title = E-Mail-Adresse bestätigt
confirm-done = Ihre E-Mail-Adresse ist bestätigt.

change-title = Passwort ändern
change-current = Aktuelles Passwort
change-new = Neues Passwort
change-new-hint = { $min } bis { $max } Zeichen.
change-confirm = Neues Passwort wiederholen
change-submit = Passwort ändern
change-done-title = Passwort geändert
change-done = Ihr Passwort wurde geändert und alle anderen Sitzungen wurden abgemeldet.

verify-title = Bestätigen Sie, dass Sie es sind
verify-intro = Einige Änderungen (Passkeys, Zwei-Faktor-Authentifizierung, Wiederherstellungscodes) erfordern eine kürzlich erfolgte Anmeldung. Geben Sie Ihr Passwort noch einmal ein.
verify-password = Passwort
verify-submit = Bestätigen
verify-passkey = Stattdessen mit einem Passkey bestätigen
verify-done-title = Bestätigt
verify-done = Vielen Dank. In den nächsten Minuten können Sie Passkeys, die Zwei-Faktor-Authentifizierung und Wiederherstellungscodes ändern.
verify-continue-title = Angemeldet
verify-continue = Weiter zur Anwendung
