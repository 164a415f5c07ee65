## Changer d'adresse e-mail ou de nom d'utilisateur, et retrouver un nom d'utilisateur oublié.

account-change-email = Changer d'adresse e-mail
account-change-username = Changer de nom d'utilisateur
login-forgot-username = Nom d'utilisateur oublié ?

change-email-title = Changer d'adresse e-mail
change-email-intro = Votre adresse est { $email }. Nous enverrons un lien à la nouvelle adresse ; le changement a lieu quand vous l'ouvrez. Votre adresse actuelle est prévenue et peut l'annuler.
change-email-new = Nouvelle adresse e-mail
change-email-submit = Envoyer le lien de confirmation
change-email-sent-title = Consultez la nouvelle adresse
change-email-sent = Si l'adresse peut être utilisée, un lien pour la confirmer est en route. Votre adresse change quand vous l'ouvrez.
change-email-confirmed-title = Adresse e-mail changée
change-email-confirmed = Votre compte utilise désormais cette adresse, et elle est considérée comme confirmée.

restore-email-title = Annuler le changement d'adresse
restore-email-intro = Votre compte retrouve son ancienne adresse (ou un changement pas encore confirmé est annulé), toutes les sessions et tous les appareils sont déconnectés, et il vous est demandé de réinitialiser votre mot de passe.
restore-email-submit = Annuler le changement et se déconnecter partout
restore-email-done-title = Changement d'adresse annulé
restore-email-done = Votre ancienne adresse est rétablie et toutes les sessions ont été déconnectées. Réinitialisez votre mot de passe maintenant.

change-username-title = Changer de nom d'utilisateur
change-username-intro = Votre nom d'utilisateur sert à vous connecter à la place de votre adresse e-mail.
change-username-new = Nouveau nom d'utilisateur
change-username-hint = De 3 à 32 lettres, chiffres, « _ », « . » ou « - », commençant par une lettre ou un chiffre.
change-username-submit = Changer de nom d'utilisateur
change-username-done-title = Nom d'utilisateur changé
change-username-done = Connectez-vous désormais avec votre nouveau nom d'utilisateur.

recover-username-title = Nom d'utilisateur oublié ?
recover-username-intro = Indiquez l'adresse e-mail de votre compte ; nous y enverrons son nom d'utilisateur.
recover-username-email = Adresse e-mail
recover-username-submit = M'envoyer mon nom d'utilisateur
recover-username-sent-title = Consultez vos e-mails
recover-username-sent = Si un compte avec un nom d'utilisateur utilise cette adresse, son nom d'utilisateur est en route.

## E-mails sur ces changements.

mail-change-email-confirm-subject = Confirmez votre nouvelle adresse e-mail
mail-change-email-confirm-body =
    Quelqu'un a demandé à passer un compte { $product } à cette adresse. Pour confirmer, ouvrez ce lien dans un délai de { $hours ->
        [one] { $hours } heure
       *[other] { $hours } heures
    } :

    { $link }
mail-change-email-requested-subject = Votre adresse e-mail va changer
mail-change-email-requested = Quelqu'un connecté à votre compte { $product } a demandé à changer son adresse e-mail pour { $new }.
mail-change-email-undo =
    Si c'était vous, vous n'avez rien à faire. Sinon, ouvrez ce lien dans un délai de { $days ->
        [one] { $days } jour
       *[other] { $days } jours
    } pour garder ou retrouver cette adresse et déconnecter toutes les sessions, puis réinitialisez votre mot de passe :

    { $link }
mail-change-email-taken-subject = Quelqu'un a voulu passer un compte à votre adresse
mail-change-email-taken-body = Quelqu'un a demandé à passer un autre compte { $product } à cette adresse, que votre compte utilise déjà. Rien n'a été changé ; vous pouvez vous connecter sur { $login }.
mail-email-restored-subject = Votre adresse e-mail a été rétablie
mail-email-restored = Votre compte { $product } utilise de nouveau cette adresse e-mail, et toutes les sessions ont été déconnectées. Réinitialisez votre mot de passe maintenant sur { $reset }.
mail-email-change-cancelled = Le changement demandé de l'adresse e-mail de votre compte { $product } a été annulé, et toutes les sessions ont été déconnectées. Réinitialisez votre mot de passe maintenant sur { $reset }.
mail-notice-username-changed-subject = Votre nom d'utilisateur a été changé
mail-notice-username-changed = Le nom d'utilisateur de votre compte { $product } a été changé.
mail-recover-username-subject = Votre nom d'utilisateur
mail-recover-username-body = Le nom d'utilisateur de votre compte { $product } est { $username }. Connectez-vous sur { $login }.
