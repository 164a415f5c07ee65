## Passkeys und Sicherheitsschlüssel: damit anmelden, damit bestätigen, dass Sie es sind, und
## die Liste zum Hinzufügen und Löschen. Die `wan-`-Meldungen des Skripts stehen in der Seite.

wan-signin-title = Mit einem Passkey anmelden
wan-signin-intro = Lassen Sie das Feld leer, um einen der Passkeys auf diesem Gerät auszuwählen.
wan-signin-identity = E-Mail-Adresse oder Benutzername (optional)
wan-signin-submit = Meinen Passkey verwenden
wan-signin-password = Mit einem Passwort anmelden
wan-second-title = Mit Ihrem Passkey bestätigen
wan-second-intro = Ihr Passwort war richtig. Verwenden Sie jetzt Ihren Passkey oder Sicherheitsschlüssel.

wan-verify-title = Bestätigen Sie, dass Sie es sind
wan-verify-intro = Einige Änderungen erfordern eine kürzlich erfolgte Anmeldung. Verwenden Sie einen Ihrer Passkeys oder Sicherheitsschlüssel.
wan-verify-submit = Mit meinem Passkey bestätigen
wan-verify-list = Meine Passkeys

wan-register-title = Meine Passkeys
wan-register-caption = Meine Passkeys und Sicherheitsschlüssel
wan-register-none = Sie haben noch keine Passkeys oder Sicherheitsschlüssel.
wan-column-name = Name
wan-column-use = Verwendung
wan-column-algorithm = Algorithmus
wan-column-added = Hinzugefügt
wan-column-last-used = Zuletzt verwendet
wan-column-action = Aktion
wan-use-passkey = Passkey (erster Faktor)
wan-use-passkey-synced = Passkey (erster Faktor), synchronisiert
wan-use-second-factor = zweiter Faktor
wan-use-second-factor-synced = zweiter Faktor, synchronisiert
wan-never-used = nie
wan-delete-button = „{ $name }“ löschen
wan-deleted = „{ $name }“ wurde gelöscht.
wan-needs-fresh = Zum Hinzufügen oder Löschen eines Passkeys ist eine kürzlich erfolgte Anmeldung nötig.
wan-needs-fresh-link = Bestätigen Sie zuerst, dass Sie es sind
wan-add-title = Passkey hinzufügen
wan-add-name = Name (etwa „mein Laptop“)
wan-add-use = Verwendung
wan-add-first = zum Anmelden ohne Passwort (Passkey)
wan-add-secondary = als zweiter Schritt nach meinem Passwort (Sicherheitsschlüssel)
wan-add-submit = Passkey hinzufügen

wan-creating = Folgen Sie den Anweisungen Ihres Browsers, um den Passkey zu erstellen …
wan-using = Folgen Sie den Anweisungen Ihres Browsers, um Ihren Passkey zu verwenden …
wan-added = „{ $name }“ wurde hinzugefügt.
wan-signed-in = Angemeldet.
wan-verified = Bestätigt.
wan-unsupported = Dieser Browser unterstützt keine Passkeys.
wan-cancelled = Die Passkey-Anfrage wurde abgebrochen oder ist abgelaufen.
wan-failed = Etwas ist schiefgegangen. Versuchen Sie es noch einmal.
