## Inscription et connexion : la page d’accueil, les formulaires de connexion et d’inscription,
## la réinitialisation du mot de passe, la confirmation de l’adresse e-mail, le changement de
## mot de passe et la confirmation de votre identité.

index-intro = Connectez-vous à votre compte ou créez-en un.
index-sign-in = Se connecter
index-passkey = Se connecter avec une clé d’accès
index-register = Créer un compte

login-title = Se connecter
login-identity = Adresse e-mail ou nom d’utilisateur
login-password = Mot de passe
login-submit = Se connecter
login-or = ou
login-passkey = Se connecter avec une clé d’accès
login-passkey-page = Autres façons d’utiliser une clé d’accès
login-register = Créer un compte
login-forgot = Mot de passe oublié ?

register-title = Créer un compte
register-email = Adresse e-mail
register-username = Nom d’utilisateur (facultatif)
register-username-hint = De 3 à 32 lettres, chiffres, « _ », « . » ou « - », en commençant par une lettre ou un chiffre.
register-password = Mot de passe
register-password-hint = De { $min } à { $max } caractères.
register-submit = Créer le compte
register-sign-in = Me connecter plutôt
register-done-title = Inscription reçue
register-done = Inscription reçue. Si l’adresse était nouvelle, le compte existe désormais et vous pouvez vous connecter.

reset-title = Réinitialiser le mot de passe
reset-intro = Saisissez l’adresse e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe.
reset-email = Adresse e-mail
reset-send = M’envoyer un lien
reset-new-intro = Choisissez un nouveau mot de passe.
reset-password = Nouveau mot de passe
reset-password-hint = De { $min } à { $max } caractères.
reset-password-confirm = Nouveau mot de passe (confirmation)
reset-submit = Définir le mot de passe
reset-sign-in = Se connecter
reset-sent-title = Consultez vos e-mails
reset-sent = Si un compte utilise cette adresse, un lien pour réinitialiser son mot de passe est en route.
reset-done-title = Mot de passe modifié
reset-done = Votre mot de passe a été modifié et toutes les sessions ont été fermées. Connectez-vous avec le nouveau mot de passe.

confirm-done-title = Adresse e-mail confirmée
confirm-done = Votre adresse e-mail est confirmée.

change-title = Changer de mot de passe
change-current = Mot de passe actuel
change-new = Nouveau mot de passe
change-new-hint = De { $min } à { $max } caractères.
change-confirm = Nouveau mot de passe (confirmation)
change-submit = Changer de mot de passe
change-done-title = Mot de passe modifié
change-done = Votre mot de passe a été modifié et toutes les autres sessions ont été fermées.

verify-title = Confirmez votre identité
verify-intro = Certaines modifications (clés d’accès, double authentification, codes de récupération) exigent une connexion récente. Saisissez de nouveau votre mot de passe.
verify-password = Mot de passe
verify-submit = Confirmer
verify-passkey = Confirmer plutôt avec une clé d’accès
verify-done-title = Identité confirmée
verify-done = Merci. Pendant les prochaines minutes, vous pouvez modifier vos clés d’accès, la double authentification et vos codes de récupération.
verify-continue-title = Connexion réussie
verify-continue = Continuer vers l’application
