## Die Kontoseite (/account).

account-title = Mein Konto
account-profile = Profil
account-email = E-Mail
account-email-confirmed = bestätigt
account-email-unconfirmed = noch nicht bestätigt
account-username = Benutzername
account-change-password = Passwort ändern
account-security = Sicherheit der Anmeldung
account-fresh-needed = Für Änderungen an Passkeys, Zwei-Faktor-Authentifizierung oder Wiederherstellungscodes ist eine kürzliche Anmeldung nötig.
account-verify = Bestätigen Sie, dass Sie es sind
account-two-factor = Zwei-Faktor-Authentifizierung
account-two-factor-on = Aktiv (Authenticator-App)
account-two-factor-off = Aus
account-two-factor-manage = Zwei-Faktor-Authentifizierung verwalten
account-two-factor-set-up = Zwei-Faktor-Authentifizierung einrichten
account-recovery-codes = Wiederherstellungscodes
account-recovery-codes-left = { $count ->
    [0] Keine mehr übrig: erstellen Sie jetzt neue
    [one] Noch einer übrig
   *[other] Noch { $count } übrig
}
account-recovery-codes-manage = Neue Wiederherstellungscodes
account-passkeys = Passkeys und Sicherheitsschlüssel
account-passkeys-caption = Meine Passkeys und Sicherheitsschlüssel
account-passkeys-none = Sie haben noch keine Passkeys oder Sicherheitsschlüssel.
account-passkeys-manage = Passkeys hinzufügen oder entfernen
account-passkey-name = Name
account-passkey-use = Verwendung
account-passkey-added = Hinzugefügt
account-passkey-last-used = Zuletzt verwendet
account-passkey-first = Anmeldung ohne Passwort
account-passkey-second = zweiter Schritt nach dem Passwort
account-passkey-synced = synchronisiert
account-never = nie
account-sessions = Wo Sie angemeldet sind
account-sessions-caption = { $count ->
    [one] Eine Sitzung
   *[other] { $count } Sitzungen
}
account-session-device = Gerät
account-session-address = Adresse
account-session-signed-in = Angemeldet
account-session-last-seen = Zuletzt aktiv
account-session-action = Aktion
account-session-this-one = dieses Gerät
account-session-unknown-device = Unbekanntes Gerät
account-session-end = Dort abmelden
account-sessions-details = Alle Details der Sitzungen
account-sign-out-everywhere = Überall abmelden
