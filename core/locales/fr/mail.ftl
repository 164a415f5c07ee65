## E-mails. Chaque e-mail nomme le service par `$product`, le nom du produit de l'installation ;
## les nombres choisissent leur forme plurielle avec un sélecteur.

# L'objet tel qu'il est envoyé : l'objet propre à l'e-mail et le nom du produit.
mail-subject = { $subject } - { $product }
# La ligne de fin, quand l'installation a une adresse d'assistance.
mail-support = Aide et assistance : { $url }
# Termine les e-mails sur ce que quelqu'un a fait avec l'adresse du destinataire.
mail-not-you = Si ce n'était pas vous, vous n'avez rien à faire.

## Avis de sécurité : ce qui a changé, puis ce qu'il faut faire.

mail-notice-password-changed-subject = Votre mot de passe a été modifié
mail-notice-password-changed = Le mot de passe de votre compte { $product } a été modifié.
mail-notice-password-reset-subject = Votre mot de passe a été réinitialisé
mail-notice-password-reset = Le mot de passe de votre compte { $product } a été réinitialisé au moyen d'un lien envoyé à cette adresse.
mail-notice-two-factor-on-subject = L'authentification à deux facteurs est activée
mail-notice-two-factor-on = L'authentification à deux facteurs a été activée pour votre compte { $product }.
mail-notice-two-factor-off-subject = L'authentification à deux facteurs est désactivée
mail-notice-two-factor-off = L'authentification à deux facteurs a été désactivée pour votre compte { $product }, et les codes de récupération du compte ont été supprimés.
mail-notice-recovery-codes-subject = Nouveaux codes de récupération
mail-notice-recovery-codes = Un nouveau jeu de codes de récupération a été généré pour votre compte { $product } ; les anciens codes ne fonctionnent plus.
mail-notice-passkey-added-subject = Une clé d'accès ou une clé de sécurité a été ajoutée
mail-notice-passkey-added = Une clé d'accès ou une clé de sécurité a été ajoutée à votre compte { $product }.
mail-notice-passkey-removed-subject = Une clé d'accès ou une clé de sécurité a été retirée
mail-notice-passkey-removed = Une clé d'accès ou une clé de sécurité a été retirée de votre compte { $product }.
# Suit ce qui a changé, quand l'adresse du client est connue.
mail-notice-origin = La demande provenait de l'adresse { $address }.
mail-notice-advice =
    Si c'était vous, vous n'avez rien à faire.

    Si ce n'était pas vous, réinitialisez immédiatement votre mot de passe sur { $reset }, puis connectez-vous sur { $login } et déconnectez toutes les autres sessions.

## Liens et inscription.

mail-confirm-subject = Confirmez votre adresse e-mail
mail-confirm-body =
    Bienvenue sur { $product } ! Confirmez votre adresse e-mail en ouvrant ce lien dans un délai de { $hours ->
        [one] { $hours } heure
       *[other] { $hours } heures
    } :

    { $link }

    Si vous n'avez pas créé de compte, ignorez ce message.
mail-reset-subject = Réinitialisez votre mot de passe
mail-reset-body =
    Quelqu'un a demandé la réinitialisation du mot de passe de votre compte { $product }. Pour en choisir un nouveau, ouvrez ce lien dans un délai de { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    } :

    { $link }

    Le lien ne fonctionne qu'une fois. Si vous n'avez rien demandé, ignorez ce message ; votre mot de passe reste inchangé.
mail-already-registered-subject = Quelqu'un a essayé de s'inscrire avec votre adresse e-mail
mail-already-registered-body = Quelqu'un a essayé de s'inscrire sur { $product } avec cette adresse, mais elle a déjà un compte. Si c'était vous, connectez-vous sur { $login } ou réinitialisez votre mot de passe sur { $reset }.
mail-username-taken-subject = Votre compte n'a pas été créé
mail-username-taken-body = Quelqu'un, probablement vous, a demandé à { $product } de créer un compte pour cette adresse avec un nom d'utilisateur déjà pris ; aucun compte n'a donc été créé. Inscrivez-vous de nouveau sur { $register } avec un autre nom d'utilisateur, ou sans nom d'utilisateur.

## A code that finishes a sign-in whose second factor is email.

mail-tf-code-subject = Votre code de vérification
mail-tf-code-body = Votre code de vérification { $product } est { $code }. Il est valable { $minutes } minutes, une seule fois, pour terminer la connexion qui l'a demandé. Si vous n'êtes pas en train de vous connecter, quelqu'un connaît votre mot de passe : changez-le.
mail-tf-enrol-body = Votre code pour activer l'e-mail comme second facteur { $product } est { $code }. Il est valable { $minutes } minutes, une seule fois. Si vous ne l'avez pas demandé, quelqu'un est connecté à votre compte : changez votre mot de passe et déconnectez-vous partout.
