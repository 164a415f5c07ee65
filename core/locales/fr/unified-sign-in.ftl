## Connexion par code : un code envoyé à l'adresse du compte, le lien envoyé avec lui, et le
## code d'appareil que ce lien demande quand il est ouvert dans un autre navigateur.

login-mail-code = Recevoir un code de connexion par e-mail
us-send-code = Recevoir un code par e-mail
us-title = Se connecter avec un code
us-intro = Saisissez votre adresse e-mail ou votre nom d'utilisateur. Nous enverrons un code de connexion et un lien à l'adresse du compte.
us-with-password = Se connecter avec un mot de passe
us-code-title = Consultez vos e-mails
us-code-sent = Si un compte utilise cette adresse ou ce nom d'utilisateur, un code de connexion est en route vers son adresse. Il est valable { $minutes } minutes, dans ce navigateur.
us-code-label = Code de connexion
us-code-submit = Se connecter
us-device-title = Vous ouvrez le lien sur un autre appareil ?
us-device-intro = Le lien de l'e-mail connecte ce navigateur. Ouvert ailleurs, il demande ce code d'appareil :
us-code-again = Envoyer un nouveau code
us-link-title = Se connecter sur cet appareil ?
us-link-intro = Ce lien a été ouvert dans un autre navigateur que celui qui l'a demandé : personne n'a été connecté. Pour vous connecter ici, saisissez le code d'appareil affiché dans le navigateur qui l'a demandé.
us-link-code-label = Code d'appareil
us-link-submit = Se connecter ici
us-link-start-here = Demander plutôt un code dans ce navigateur
us-setup-title = Façons de se connecter
us-setup-active = Vous pouvez vous connecter avec : { $methods }.
us-method-password = votre mot de passe
us-method-email = un code envoyé par e-mail
us-method-authenticator = votre application d'authentification
us-method-passkey = une clé d'accès
register-password-optional = Laissez le mot de passe vide pour vous connecter avec des codes envoyés par e-mail.

mail-us-code-subject = Votre code de connexion
mail-us-code-body =
    Votre code de connexion { $product } est { $code }. Il est valable { $minutes } minutes, une seule fois, dans le navigateur où vous l'avez demandé.

    Ou ouvrez ce lien dans ce navigateur (il est valable { $link_minutes } minutes) :
    { $link }

    Si vous n'avez pas demandé à vous connecter, ignorez cet e-mail : personne ne peut utiliser le code sans le navigateur qui l'a demandé.
