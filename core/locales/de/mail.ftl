## E-Mails. Jede E-Mail nennt den Dienst mit `$product`, dem Produktnamen der Installation;
## Zahlen wählen ihre Pluralform mit einem Selektor.

# Die Betreffzeile, wie sie verschickt wird: der eigene Betreff und der Produktname.
mail-subject = { $subject } - { $product }
# Die Schlusszeile, wenn die Installation eine Support-Adresse hat.
mail-support = Hilfe und Support: { $url }
# Schließt E-Mails über etwas, das jemand mit der Adresse des Empfängers getan hat.
mail-not-you = Wenn Sie das nicht waren, müssen Sie nichts tun.

## Sicherheitshinweise: was sich geändert hat, dann was zu tun ist.

mail-notice-password-changed-subject = Ihr Passwort wurde geändert
mail-notice-password-changed = Ihr Passwort für { $product } wurde geändert.
mail-notice-password-reset-subject = Ihr Passwort wurde zurückgesetzt
mail-notice-password-reset = Ihr Passwort für { $product } wurde über einen Link zurückgesetzt, der an diese Adresse gesendet wurde.
mail-notice-two-factor-on-subject = Die Zwei-Faktor-Authentifizierung ist eingeschaltet
mail-notice-two-factor-on = Für Ihr Konto bei { $product } wurde die Zwei-Faktor-Authentifizierung eingeschaltet.
mail-notice-two-factor-off-subject = Die Zwei-Faktor-Authentifizierung ist ausgeschaltet
mail-notice-two-factor-off = Für Ihr Konto bei { $product } wurde die Zwei-Faktor-Authentifizierung ausgeschaltet, und die Wiederherstellungscodes des Kontos wurden gelöscht.
mail-notice-recovery-codes-subject = Neue Wiederherstellungscodes
mail-notice-recovery-codes = Für Ihr Konto bei { $product } wurde ein neuer Satz Wiederherstellungscodes erzeugt; die alten Codes funktionieren nicht mehr.
mail-notice-passkey-added-subject = Ein Passkey oder Sicherheitsschlüssel wurde hinzugefügt
mail-notice-passkey-added = Ihrem Konto bei { $product } wurde ein Passkey oder Sicherheitsschlüssel hinzugefügt.
mail-notice-passkey-removed-subject = Ein Passkey oder Sicherheitsschlüssel wurde entfernt
mail-notice-passkey-removed = Aus Ihrem Konto bei { $product } wurde ein Passkey oder Sicherheitsschlüssel entfernt.
# Folgt auf die Änderung, wenn die Adresse des Clients bekannt ist.
mail-notice-origin = Die Anfrage kam von der Adresse { $address }.
mail-notice-advice =
    Wenn Sie das waren, müssen Sie nichts tun.

    Wenn Sie es nicht waren, setzen Sie Ihr Passwort sofort unter { $reset } zurück, melden Sie sich dann unter { $login } an und melden Sie alle anderen Sitzungen ab.

## Links und Registrierung.

mail-confirm-subject = Bestätigen Sie Ihre E-Mail-Adresse
mail-confirm-body =
    Willkommen bei { $product }! Bestätigen Sie Ihre E-Mail-Adresse, indem Sie diesen Link innerhalb { $hours ->
        [one] einer Stunde
       *[other] von { $hours } Stunden
    } öffnen:

    { $link }

    Wenn Sie kein Konto angelegt haben, ignorieren Sie diese Nachricht.
mail-reset-subject = Passwort zurücksetzen
mail-reset-body =
    Jemand hat darum gebeten, das Passwort Ihres Kontos bei { $product } zurückzusetzen. Um ein neues zu wählen, öffnen Sie diesen Link innerhalb { $minutes ->
        [one] einer Minute
       *[other] von { $minutes } Minuten
    }:

    { $link }

    Der Link funktioniert nur einmal. Wenn Sie das nicht angefordert haben, ignorieren Sie diese Nachricht; Ihr Passwort bleibt, wie es ist.
mail-already-registered-subject = Jemand wollte sich mit Ihrer E-Mail-Adresse registrieren
mail-already-registered-body = Jemand wollte sich mit dieser Adresse bei { $product } registrieren, aber für sie gibt es bereits ein Konto. Wenn Sie das waren, melden Sie sich unter { $login } an oder setzen Sie Ihr Passwort unter { $reset } zurück.
mail-username-taken-subject = Ihr Konto wurde nicht angelegt
mail-username-taken-body = Jemand, vermutlich Sie, wollte bei { $product } ein Konto für diese Adresse mit einem Benutzernamen anlegen, der bereits vergeben ist; deshalb wurde kein Konto angelegt. Registrieren Sie sich unter { $register } erneut mit einem anderen Benutzernamen oder ohne einen.

## A code that finishes a sign-in whose second factor is email.

mail-tf-code-subject = Ihr Bestätigungscode
mail-tf-code-body = Ihr Bestätigungscode für { $product } lautet { $code }. Er gilt { $minutes } Minuten lang, einmal, um die Anmeldung abzuschließen, die ihn angefordert hat. Wenn Sie sich gerade nicht anmelden, kennt jemand Ihr Passwort: Ändern Sie es.
mail-tf-enrol-body = Ihr Code, um E-Mail als zweiten Faktor für { $product } einzuschalten, lautet { $code }. Er gilt { $minutes } Minuten lang, einmal. Wenn Sie ihn nicht angefordert haben, ist jemand in Ihrem Konto angemeldet: Ändern Sie Ihr Passwort und melden Sie sich überall ab.
