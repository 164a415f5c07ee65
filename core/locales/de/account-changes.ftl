## E-Mail-Adresse oder Benutzernamen ändern und einen vergessenen Benutzernamen erfahren.

account-change-email = E-Mail-Adresse ändern
account-change-username = Benutzernamen ändern
login-forgot-username = Benutzernamen vergessen?

change-email-title = E-Mail-Adresse ändern
change-email-intro = Ihre Adresse ist { $email }. Wir senden einen Link an die neue Adresse; die Änderung erfolgt, wenn Sie ihn öffnen. Ihre bisherige Adresse wird benachrichtigt und kann die Änderung rückgängig machen.
change-email-new = Neue E-Mail-Adresse
change-email-submit = Bestätigungslink senden
change-email-sent-title = Prüfen Sie die neue Adresse
change-email-sent = Falls die Adresse verwendet werden kann, ist ein Link zu ihrer Bestätigung unterwegs. Ihre Adresse ändert sich, wenn Sie ihn öffnen.
change-email-confirmed-title = E-Mail-Adresse geändert
change-email-confirmed = Ihr Konto verwendet jetzt diese Adresse, und sie gilt als bestätigt.

restore-email-title = Änderung der E-Mail-Adresse rückgängig machen
restore-email-intro = Damit erhält Ihr Konto seine bisherige Adresse zurück (oder eine noch nicht bestätigte Änderung wird abgebrochen), alle Sitzungen und Geräte werden abgemeldet, und Sie werden gebeten, Ihr Passwort zurückzusetzen.
restore-email-submit = Rückgängig machen und überall abmelden
restore-email-done-title = Änderung rückgängig gemacht
restore-email-done = Ihre bisherige Adresse gilt wieder, und alle Sitzungen wurden abgemeldet. Setzen Sie jetzt Ihr Passwort zurück.

change-username-title = Benutzernamen ändern
change-username-intro = Mit Ihrem Benutzernamen melden Sie sich statt mit Ihrer E-Mail-Adresse an.
change-username-new = Neuer Benutzername
change-username-hint = 3 bis 32 Buchstaben, Ziffern, '_', '.' oder '-', beginnend mit einem Buchstaben oder einer Ziffer.
change-username-submit = Benutzernamen ändern
change-username-done-title = Benutzername geändert
change-username-done = Melden Sie sich ab jetzt mit Ihrem neuen Benutzernamen an.

recover-username-title = Benutzernamen vergessen?
recover-username-intro = Geben Sie die E-Mail-Adresse Ihres Kontos an; wir senden seinen Benutzernamen dorthin.
recover-username-email = E-Mail-Adresse
recover-username-submit = Benutzernamen zusenden
recover-username-sent-title = Prüfen Sie Ihre E-Mails
recover-username-sent = Falls ein Konto mit Benutzernamen diese Adresse verwendet, ist sein Benutzername unterwegs.

## E-Mails zu diesen Änderungen.

mail-change-email-confirm-subject = Bestätigen Sie Ihre neue E-Mail-Adresse
mail-change-email-confirm-body =
    Jemand hat darum gebeten, ein Konto bei { $product } auf diese Adresse umzustellen. Öffnen Sie zur Bestätigung diesen Link { $hours ->
        [one] innerhalb einer Stunde
       *[other] innerhalb von { $hours } Stunden
    }:

    { $link }
mail-change-email-requested-subject = Ihre E-Mail-Adresse wird gleich geändert
mail-change-email-requested = Jemand, der bei Ihrem Konto bei { $product } angemeldet ist, hat darum gebeten, seine E-Mail-Adresse in { $new } zu ändern.
mail-change-email-undo =
    Wenn Sie das waren, müssen Sie nichts tun. Wenn nicht, öffnen Sie diesen Link { $days ->
        [one] innerhalb eines Tages
       *[other] innerhalb von { $days } Tagen
    }, um diese Adresse zu behalten oder zurückzuerhalten und alle Sitzungen abzumelden, und setzen Sie danach Ihr Passwort zurück:

    { $link }
mail-change-email-taken-subject = Jemand wollte ein Konto auf Ihre Adresse umstellen
mail-change-email-taken-body = Jemand hat darum gebeten, ein anderes Konto bei { $product } auf diese Adresse umzustellen, die Ihr Konto bereits verwendet. Es wurde nichts geändert; Sie können sich unter { $login } anmelden.
mail-email-restored-subject = Ihre E-Mail-Adresse wurde wiederhergestellt
mail-email-restored = Ihr Konto bei { $product } verwendet wieder diese E-Mail-Adresse, und alle Sitzungen wurden abgemeldet. Setzen Sie jetzt unter { $reset } Ihr Passwort zurück.
mail-email-change-cancelled = Die gewünschte Änderung der E-Mail-Adresse Ihres Kontos bei { $product } wurde abgebrochen, und alle Sitzungen wurden abgemeldet. Setzen Sie jetzt unter { $reset } Ihr Passwort zurück.
mail-notice-username-changed-subject = Ihr Benutzername wurde geändert
mail-notice-username-changed = Der Benutzername Ihres Kontos bei { $product } wurde geändert.
mail-recover-username-subject = Ihr Benutzername
mail-recover-username-body = Der Benutzername Ihres Kontos bei { $product } ist { $username }. Melden Sie sich unter { $login } an.
