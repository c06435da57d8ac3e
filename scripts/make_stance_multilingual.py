#!/usr/bin/env python3
"""Write monitor/data/spoken/stance_multilingual.jsonl: project-written stance pairs in de es fr it nl pl pt ro.

The non-English counterpart of `stance_pairs.jsonl` for the multilingual stance head
(`monitor/multilingual/heads_train.py`, label `stance_assert`): per language, ten core statements (health
falsehoods, election falsehoods, a threat, a dehumanising line, an everyday fact) written in that language's
spoken register, each said asserted (bare, and with each of five speaker's openers or closers) and framed as a quotation, a report,
a denial and a condemnation (two framings each). Written from general knowledge of how people speak on air
in each language, not from the functional suite (`tests/functional/`) and not from the rules' keyword lists;
`tests/unit/test_spoken_set.py` checks the held-out conditions on the shipped file. Twelve more plain statements per language
(opinions, complaints, everyday news and falsehoods) are said asserted only. Fictional, no slurs.
Seeded and deterministic. Every line of one core statement shares its `group` (`stml-<lang>-<nn>`), so a
split by group never cuts a statement. Licence: CC0-1.0, as the rest of `monitor/data/spoken`.

    python scripts/make_stance_multilingual.py
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "monitor" / "data" / "spoken" / "stance_multilingual.jsonl"
SEED = 20261202
STANCES = ("quote", "report", "deny", "condemn")

# Per language: plain statements (said in the speaker's own voice only: opinions, complaints, everyday news and
# falsehoods, so an assertion is not only a short bare claim), core statements, then the speaker's own voice
# (asserting) and the four other stances' frames; `{c}` is the statement.
LANGUAGES: dict[str, dict[str, list[str]]] = {
    "de": {
        "plain": [
            "meine oma hat nie einen arzt gebraucht, die hat jeden tag knoblauch gegessen und war mit neunzig noch fit",
            "die regierung will uns alle abhängig machen von ihren tabletten, deswegen verbieten sie die naturheilmittel",
            "ich geh nicht mehr wählen, die machen doch eh was sie wollen da oben",
            "wenn der typ noch einmal vor meinem haus parkt, dann kriegt er richtig ärger, das schwöre ich",
            "die preise im supermarkt sind seit dem sommer völlig verrückt geworden",
            "unser trainer hat die mannschaft in zwei jahren komplett umgekrempelt",
            "kinder brauchen keine impfungen, ein starkes immunsystem reicht völlig aus",
            "die zeitungen lügen doch alle, die werden von denselben leuten bezahlt",
            "bei uns im dorf fährt der bus nur noch zweimal am tag, das ist eine zumutung",
            "die briefwahlstimmen werden in irgendeinem keller ausgetauscht, das weiß doch jeder",
            "der neue nachbar ist echt nett, hat uns gleich zum grillen eingeladen",
            "wer sich impfen lässt, ist in fünf jahren unfruchtbar, merkt euch das",
        ],
        "core": [
            "die impfung verändert dauerhaft euer erbgut",
            "ein tee aus brennnesseln heilt jeden krebs, die ärzte verschweigen das",
            "die masken nehmen den kindern den sauerstoff und machen sie krank",
            "die funkmasten verbreiten das virus in der ganzen stadt",
            "chlordioxid trinken reinigt den körper von allen krankheiten",
            "die wahl war längst entschieden, die zahlen standen vorher fest",
            "dieses jahr kann man auch per sms abstimmen",
            "man sollte dem bürgermeister mal richtig die fresse polieren",
            "diese zuwanderer sind eine seuche für unser land",
            "das neue hallenbad öffnet im märz",
        ],
        "assert": ["ich sag's euch, {c}", "{c}, das ist einfach so", "hört mal zu, {c}", "{c}, glaubt mir",
                   "mal ehrlich, {c}"],
        "quote": ["ich lese die nachricht mal wörtlich vor: {c}", "in dem kettenbrief steht: {c}",
                  "ein hörer hat uns das geschickt, zitat: {c}, zitat ende", "auf dem flugblatt stand: {c}"],
        "report": ["die polizei ermittelt gegen einen mann, der gepostet hatte: {c}",
                   "laut dem bericht schrieb die gruppe in ihrem kanal: {c}",
                   "vor gericht wurde verlesen, was der angeklagte geschrieben hatte: {c}",
                   "die plattform hat tausende beiträge gelöscht, in denen es hieß: {c}"],
        "deny": ["es wird behauptet, {c}. das stimmt einfach nicht", "{c}? nein, das ist widerlegt",
                 "manche sagen, {c}, aber dafür gibt es keinerlei belege",
                 "glauben sie niemandem, der ihnen erzählt, {c}"],
        "condemn": ["wer so etwas sagt wie {c}, sollte sich schämen",
                    "ein anrufer meinte eben, {c}, und so etwas dulden wir hier nicht",
                    "sprüche wie {c} sind widerlich und gefährlich",
                    "allen, die verbreiten, {c}: hört auf damit, ihr schadet echten menschen"],
    },
    "es": {
        "plain": [
            "mi abuela nunca fue al médico, comía ajo todos los días y a los noventa estaba como una rosa",
            "el gobierno quiere que dependamos de sus pastillas, por eso prohíben los remedios naturales",
            "yo ya no voy a votar, los de arriba hacen lo que les da la gana",
            "como ese tío vuelva a aparcar delante de mi casa se va a enterar, te lo juro",
            "los precios del súper se han vuelto locos desde el verano",
            "el entrenador ha cambiado el equipo de arriba abajo en dos años",
            "los niños no necesitan vacunas, con unas buenas defensas sobra",
            "los periódicos mienten todos, les paga la misma gente",
            "en mi pueblo el autobús pasa solo dos veces al día, es una vergüenza",
            "los votos por correo los cambian en algún sótano, eso lo sabe todo el mundo",
            "el vecino nuevo es majísimo, nos invitó a una barbacoa el primer día",
            "el que se vacune en cinco años no podrá tener hijos, acordaos de lo que os digo",
        ],
        "core": [
            "la vacuna te cambia el adn para siempre",
            "una infusión de ortiga cura cualquier cáncer y los médicos lo esconden",
            "las mascarillas dejan a los niños sin oxígeno y los enferman",
            "las antenas de telefonía están esparciendo el virus por el barrio",
            "beber dióxido de cloro limpia el cuerpo de todas las enfermedades",
            "las elecciones estaban decididas de antemano, los números ya estaban puestos",
            "este año se puede votar mandando un sms",
            "a ese alcalde habría que partirle la cara",
            "esos inmigrantes son una plaga para nuestro país",
            "la piscina municipal abre en marzo",
        ],
        "assert": ["os lo digo yo, {c}", "{c}, y punto", "escuchadme bien, {c}", "{c}, creedme",
                   "a ver, seamos claros, {c}"],
        "quote": ["os leo el mensaje tal cual: {c}", "en la cadena de whatsapp pone: {c}",
                  "un oyente nos ha mandado esto, cito: {c}, fin de la cita", "en el panfleto ponía: {c}"],
        "report": ["la policía investiga a un hombre que publicó: {c}",
                   "según el informe, el grupo escribió en su canal: {c}",
                   "en el juicio se leyó lo que había escrito el acusado: {c}",
                   "la plataforma borró miles de publicaciones que decían: {c}"],
        "deny": ["se dice que {c}, pero no es verdad", "¿{c}? no, eso está desmentido",
                 "hay quien dice que {c}, pero no hay ninguna prueba",
                 "no se crean a nadie que les cuente que {c}"],
        "condemn": ["quien dice cosas como {c} debería avergonzarse",
                    "un oyente acaba de decir que {c}, y eso aquí no lo vamos a tolerar",
                    "frases como {c} son repugnantes y peligrosas",
                    "a los que van soltando que {c}: parad ya, estáis haciendo daño a gente real"],
    },
    "fr": {
        "plain": [
            "ma grand-mère n'a jamais vu un médecin, elle mangeait de l'ail tous les jours et à quatre-vingt-dix ans elle était en pleine forme",
            "le gouvernement veut nous rendre dépendants de ses médicaments, c'est pour ça qu'ils interdisent les remèdes naturels",
            "moi je ne vais plus voter, là-haut ils font ce qu'ils veulent de toute façon",
            "si ce type se gare encore une fois devant chez moi il va le regretter, je le jure",
            "les prix au supermarché sont devenus complètement fous depuis l'été",
            "l'entraîneur a transformé toute l'équipe en deux ans",
            "les enfants n'ont pas besoin de vaccins, un bon système immunitaire suffit largement",
            "les journaux mentent tous, ils sont payés par les mêmes personnes",
            "chez nous au village le bus ne passe plus que deux fois par jour, c'est honteux",
            "les votes par correspondance sont échangés dans une cave quelque part, tout le monde le sait",
            "le nouveau voisin est vraiment sympa, il nous a tout de suite invités à un barbecue",
            "ceux qui se font vacciner seront stériles dans cinq ans, retenez bien ça",
        ],
        "core": [
            "le vaccin modifie votre adn pour toujours",
            "une tisane d'ortie guérit n'importe quel cancer et les médecins le cachent",
            "les masques privent les enfants d'oxygène et les rendent malades",
            "les antennes relais répandent le virus dans tout le quartier",
            "boire du dioxyde de chlore nettoie le corps de toutes les maladies",
            "l'élection était jouée d'avance, les chiffres étaient déjà fixés",
            "désormais on peut aussi voter avec un simple texto",
            "il faudrait casser la gueule à ce maire",
            "ces immigrés sont une peste pour notre pays",
            "la nouvelle piscine ouvre en mars",
        ],
        "assert": ["je vous le dis, {c}", "{c}, point final", "écoutez-moi bien, {c}", "{c}, croyez-moi",
                   "soyons honnêtes, {c}"],
        "quote": ["je vous lis le message mot pour mot : {c}", "dans la chaîne qui circule, on lit : {c}",
                  "un auditeur nous a envoyé ceci, je cite : {c}, fin de citation", "sur le tract, il était écrit : {c}"],
        "report": ["la police enquête sur un homme qui avait publié : {c}",
                   "d'après le rapport, le groupe écrivait sur sa chaîne : {c}",
                   "au procès, on a lu ce que l'accusé avait écrit : {c}",
                   "la plateforme a supprimé des milliers de messages qui affirmaient : {c}"],
        "deny": ["on entend dire que {c}, mais c'est faux", "{c} ? non, ça a été démenti",
                 "certains prétendent que {c}, mais il n'y a aucune preuve",
                 "ne croyez pas ceux qui vous racontent que {c}"],
        "condemn": ["celui qui dit des choses comme {c} devrait avoir honte",
                    "un auditeur vient de dire que {c}, et ça, on ne l'accepte pas ici",
                    "des phrases comme {c} sont odieuses et dangereuses",
                    "à ceux qui répandent que {c} : arrêtez, vous faites du mal à de vraies personnes"],
    },
    "it": {
        "plain": [
            "mia nonna non è mai andata dal medico, mangiava aglio tutti i giorni e a novant'anni stava benissimo",
            "il governo vuole renderci dipendenti dalle sue pillole, per questo vietano i rimedi naturali",
            "io non vado più a votare, tanto quelli lassù fanno quello che vogliono",
            "se quello parcheggia un'altra volta davanti a casa mia se ne pente, lo giuro",
            "i prezzi al supermercato sono impazziti da quest'estate",
            "l'allenatore ha rivoluzionato la squadra in due anni",
            "i bambini non hanno bisogno dei vaccini, basta un sistema immunitario forte",
            "i giornali mentono tutti, sono pagati dalle stesse persone",
            "nel mio paese l'autobus passa solo due volte al giorno, è una vergogna",
            "i voti per posta li scambiano in qualche cantina, lo sanno tutti",
            "il nuovo vicino è simpaticissimo, ci ha subito invitati a una grigliata",
            "chi si vaccina tra cinque anni sarà sterile, ricordatevelo",
        ],
        "core": [
            "il vaccino ti cambia il dna per sempre",
            "una tisana di ortica guarisce qualsiasi tumore e i medici lo nascondono",
            "le mascherine tolgono l'ossigeno ai bambini e li fanno ammalare",
            "le antenne dei telefoni stanno spargendo il virus in tutto il quartiere",
            "bere biossido di cloro pulisce il corpo da tutte le malattie",
            "le elezioni erano già decise, i numeri erano stabiliti prima",
            "quest'anno si può votare mandando un sms",
            "a quel sindaco bisognerebbe spaccargli la faccia",
            "questi immigrati sono una piaga per il nostro paese",
            "la nuova piscina apre a marzo",
        ],
        "assert": ["ve lo dico io, {c}", "{c}, punto e basta", "ascoltatemi bene, {c}", "{c}, credetemi",
                   "diciamolo chiaramente, {c}"],
        "quote": ["vi leggo il messaggio parola per parola: {c}", "nella catena che gira su whatsapp c'è scritto: {c}",
                  "un ascoltatore ci ha mandato questo, cito: {c}, fine citazione", "sul volantino c'era scritto: {c}"],
        "report": ["la polizia indaga su un uomo che aveva pubblicato: {c}",
                   "secondo il rapporto, il gruppo scriveva sul suo canale: {c}",
                   "in aula è stato letto quello che l'imputato aveva scritto: {c}",
                   "la piattaforma ha rimosso migliaia di post che dicevano: {c}"],
        "deny": ["si sente dire che {c}, ma non è vero", "{c}? no, è stato smentito",
                 "c'è chi sostiene che {c}, ma non ci sono prove",
                 "non credete a chi vi racconta che {c}"],
        "condemn": ["chi dice cose come {c} dovrebbe vergognarsi",
                    "un ascoltatore ha appena detto che {c}, e qui questo non lo accettiamo",
                    "frasi come {c} sono schifose e pericolose",
                    "a chi continua a diffondere che {c}: smettetela, fate del male a persone vere"],
    },
    "nl": {
        "plain": [
            "mijn oma is nooit naar de dokter geweest, ze at elke dag knoflook en was op haar negentigste nog kerngezond",
            "de regering wil ons afhankelijk maken van hun pillen, daarom verbieden ze de natuurlijke middelen",
            "ik ga niet meer stemmen, die lui daarboven doen toch wat ze willen",
            "als die vent nog één keer voor mijn deur parkeert dan krijgt hij het aan de stok met mij, echt waar",
            "de prijzen in de supermarkt zijn sinds de zomer compleet doorgedraaid",
            "de trainer heeft het elftal in twee jaar helemaal omgegooid",
            "kinderen hebben geen vaccins nodig, een sterk afweersysteem is genoeg",
            "de kranten liegen allemaal, ze worden door dezelfde mensen betaald",
            "bij ons in het dorp rijdt de bus nog maar twee keer per dag, belachelijk",
            "de briefstemmen worden ergens in een kelder omgewisseld, dat weet iedereen",
            "de nieuwe buurman is echt aardig, hij nodigde ons meteen uit voor een barbecue",
            "wie zich laat vaccineren is over vijf jaar onvruchtbaar, onthoud dat maar",
        ],
        "core": [
            "het vaccin verandert je dna voorgoed",
            "thee van brandnetels geneest elke kanker en de artsen houden het stil",
            "mondkapjes nemen kinderen hun zuurstof af en maken ze ziek",
            "de zendmasten verspreiden het virus door de hele wijk",
            "chloordioxide drinken reinigt je lichaam van alle ziektes",
            "de verkiezingen lagen al vast, de uitslag stond van tevoren vast",
            "dit jaar kun je ook per sms stemmen",
            "die burgemeester moet gewoon eens flink op zijn bek geslagen worden",
            "die nieuwkomers zijn een plaag voor ons land",
            "het nieuwe zwembad gaat in maart open",
        ],
        "assert": ["ik zeg het jullie, {c}", "{c}, zo is het gewoon", "luister goed, {c}", "{c}, geloof me",
                   "laten we eerlijk zijn, {c}"],
        "quote": ["ik lees het bericht letterlijk voor: {c}", "in de kettingbrief staat: {c}",
                  "een luisteraar stuurde ons dit, ik citeer: {c}, einde citaat", "op de folder stond: {c}"],
        "report": ["de politie onderzoekt een man die had gepost: {c}",
                   "volgens het rapport schreef de groep in haar kanaal: {c}",
                   "op de zitting werd voorgelezen wat de verdachte had geschreven: {c}",
                   "het platform verwijderde duizenden berichten waarin stond: {c}"],
        "deny": ["er wordt beweerd dat {c}, maar dat klopt niet", "{c}? nee, dat is ontkracht",
                 "sommigen zeggen dat {c}, maar daar is geen enkel bewijs voor",
                 "geloof niemand die je vertelt dat {c}"],
        "condemn": ["wie zoiets zegt als {c}, moet zich schamen",
                    "een beller zei net dat {c}, en dat pikken we hier niet",
                    "uitspraken als {c} zijn walgelijk en gevaarlijk",
                    "aan iedereen die rondbazuint dat {c}: stop ermee, jullie doen echte mensen pijn"],
    },
    "pl": {
        "plain": [
            "moja babcia nigdy nie chodziła do lekarza, jadła czosnek codziennie i w wieku dziewięćdziesięciu lat była zdrowa jak ryba",
            "rząd chce nas uzależnić od swoich tabletek, dlatego zakazują naturalnych metod",
            "ja już nie chodzę na wybory, tam na górze i tak robią co chcą",
            "jak ten gość jeszcze raz zaparkuje pod moim domem, to pożałuje, przysięgam",
            "ceny w sklepie od lata zupełnie oszalały",
            "trener w dwa lata całkowicie przebudował drużynę",
            "dzieci nie potrzebują szczepień, wystarczy silna odporność",
            "wszystkie gazety kłamią, płacą im ci sami ludzie",
            "u nas na wsi autobus jeździ tylko dwa razy dziennie, to skandal",
            "głosy korespondencyjne podmieniają gdzieś w piwnicy, wszyscy o tym wiedzą",
            "nowy sąsiad jest bardzo miły, od razu zaprosił nas na grilla",
            "kto się zaszczepi, za pięć lat będzie bezpłodny, zapamiętajcie to sobie",
        ],
        "core": [
            "szczepionka na zawsze zmienia twoje dna",
            "herbata z pokrzywy wyleczy każdy nowotwór, a lekarze to ukrywają",
            "maseczki odcinają dzieciom tlen i przez nie chorują",
            "maszty telefoniczne roznoszą wirusa po całym osiedlu",
            "picie dwutlenku chloru oczyszcza organizm ze wszystkich chorób",
            "wybory były rozstrzygnięte z góry, wyniki ustalono wcześniej",
            "w tym roku można głosować esemesem",
            "temu burmistrzowi trzeba by porządnie przywalić w mordę",
            "ci przybysze to zaraza dla naszego kraju",
            "nowy basen otwierają w marcu",
        ],
        "assert": ["mówię wam, {c}", "{c} i tyle", "posłuchajcie mnie, {c}", "{c}, uwierzcie mi",
                   "powiedzmy sobie szczerze, {c}"],
        "quote": ["czytam tę wiadomość dosłownie: {c}", "w łańcuszku, który krąży, jest napisane: {c}",
                  "słuchacz przysłał nam to, cytuję: {c}, koniec cytatu", "na ulotce było napisane: {c}"],
        "report": ["policja prowadzi postępowanie wobec mężczyzny, który opublikował wpis: {c}",
                   "według raportu grupa pisała na swoim kanale: {c}",
                   "w sądzie odczytano, co napisał oskarżony: {c}",
                   "platforma usunęła tysiące wpisów, w których stało: {c}"],
        "deny": ["mówi się, że {c}, ale to nieprawda", "{c}? nie, to zostało zdementowane",
                 "niektórzy twierdzą, że {c}, ale nie ma na to żadnych dowodów",
                 "nie wierzcie nikomu, kto wam opowiada, że {c}"],
        "condemn": ["kto mówi takie rzeczy jak {c}, powinien się wstydzić",
                    "słuchacz właśnie powiedział, że {c}, a na to tutaj nie ma zgody",
                    "teksty w rodzaju {c} są obrzydliwe i niebezpieczne",
                    "do wszystkich, którzy rozpowiadają, że {c}: przestańcie, krzywdzicie prawdziwych ludzi"],
    },
    "pt": {
        "plain": [
            "a minha avó nunca foi ao médico, comia alho todos os dias e aos noventa anos estava rija",
            "o governo quer que fiquemos dependentes dos comprimidos deles, é por isso que proíbem os remédios naturais",
            "eu já não vou votar, os lá de cima fazem o que querem na mesma",
            "se aquele tipo voltar a estacionar à minha porta vai arrepender-se, juro",
            "os preços no supermercado enlouqueceram desde o verão",
            "o treinador mudou a equipa de cima a baixo em dois anos",
            "as crianças não precisam de vacinas, um sistema imunitário forte chega bem",
            "os jornais mentem todos, são pagos pelas mesmas pessoas",
            "na minha aldeia o autocarro só passa duas vezes por dia, é uma vergonha",
            "os votos por correspondência são trocados numa cave qualquer, toda a gente sabe",
            "o vizinho novo é muito simpático, convidou-nos logo para um churrasco",
            "quem se vacinar daqui a cinco anos fica estéril, lembrem-se disto",
        ],
        "core": [
            "a vacina mexe no teu adn e fica assim para sempre",
            "um chá de urtiga cura qualquer cancro e os médicos escondem isso",
            "as máscaras tiram o oxigénio às crianças e deixam-nas doentes",
            "as antenas de telemóvel estão a espalhar o vírus pelo bairro todo",
            "beber dióxido de cloro limpa o corpo de todas as doenças",
            "as eleições já estavam decididas, os números estavam fixados antes",
            "este ano pode-se votar por sms",
            "àquele presidente da câmara era preciso partir-lhe a cara",
            "esses imigrantes são uma praga para o nosso país",
            "a nova piscina abre em março",
        ],
        "assert": ["eu digo-vos, {c}", "{c}, e ponto final", "ouçam bem, {c}", "{c}, acreditem",
                   "sejamos sinceros, {c}"],
        "quote": ["vou ler a mensagem tal e qual: {c}", "na corrente que anda a circular diz: {c}",
                  "um ouvinte mandou-nos isto, cito: {c}, fim de citação", "no panfleto estava escrito: {c}"],
        "report": ["a polícia está a investigar um homem que publicou: {c}",
                   "de acordo com o relatório, o grupo escrevia no seu canal: {c}",
                   "no julgamento foi lido o que o arguido tinha escrito: {c}",
                   "a plataforma apagou milhares de publicações que diziam: {c}"],
        "deny": ["diz-se por aí que {c}, mas não é verdade", "{c}? não, isso já foi desmentido",
                 "tem gente que jura que {c}, só que prova disso não há nenhuma",
                 "não acreditem em quem vos diz que {c}"],
        "condemn": ["quem diz coisas como {c} devia ter vergonha",
                    "um ouvinte acabou de dizer que {c}, e isso aqui não aceitamos",
                    "frases como {c} são nojentas e perigosas",
                    "a quem anda a espalhar que {c}: parem, estão a magoar pessoas reais"],
    },
    "ro": {
        "plain": [
            "bunica mea n-a fost niciodată la doctor, mânca usturoi în fiecare zi și la nouăzeci de ani era sănătoasă tun",
            "guvernul vrea să ne facă dependenți de pastilele lor, de asta interzic remediile naturale",
            "eu nu mai merg la vot, ăia de sus fac oricum ce vor",
            "dacă tipul ăla mai parchează o dată în fața casei mele o să-i pară rău, jur",
            "prețurile la supermarket au luat-o razna de vara asta",
            "antrenorul a schimbat echipa din temelii în doi ani",
            "copiii nu au nevoie de vaccinuri, e suficient un sistem imunitar puternic",
            "ziarele mint toate, sunt plătite de aceiași oameni",
            "la noi în sat autobuzul trece doar de două ori pe zi, e o rușine",
            "voturile prin corespondență sunt schimbate într-o pivniță undeva, știe toată lumea",
            "vecinul cel nou e foarte de treabă, ne-a invitat imediat la un grătar",
            "cine se vaccinează peste cinci ani o să fie steril, țineți minte asta",
        ],
        "core": [
            "vaccinul îți schimbă adn-ul pentru totdeauna",
            "un ceai de urzici vindecă orice cancer, iar medicii ascund asta",
            "măștile le iau copiilor oxigenul și îi îmbolnăvesc",
            "antenele de telefonie împrăștie virusul prin tot cartierul",
            "dacă bei dioxid de clor îți curăță corpul de toate bolile",
            "alegerile erau decise dinainte, cifrele erau stabilite deja",
            "anul acesta se poate vota și prin sms",
            "primarului ăluia ar trebui să i se spargă fața",
            "imigranții ăștia sunt o ciumă pentru țara noastră",
            "noul bazin se deschide în martie",
        ],
        "assert": ["vă spun eu, {c}", "{c}, și gata", "ascultați-mă bine, {c}", "{c}, credeți-mă",
                   "hai să fim sinceri, {c}"],
        "quote": ["vă citesc mesajul cuvânt cu cuvânt: {c}", "în lanțul care circulă scrie: {c}",
                  "un ascultător ne-a trimis asta, citez: {c}, închid citatul", "pe fluturaș scria: {c}"],
        "report": ["poliția anchetează un bărbat care a postat: {c}",
                   "potrivit raportului, grupul scria pe canalul său: {c}",
                   "la proces s-a citit ce scrisese inculpatul: {c}",
                   "platforma a șters mii de postări în care se spunea: {c}"],
        "deny": ["se tot spune că {c}, dar nu e adevărat", "{c}? nu, asta a fost demontat",
                 "unii susțin că {c}, dar nu există nicio dovadă",
                 "nu credeți pe nimeni care vă spune că {c}"],
        "condemn": ["cine spune lucruri ca {c} ar trebui să-i fie rușine",
                    "un ascultător tocmai a spus că {c}, și asta nu acceptăm aici",
                    "vorbe ca {c} sunt scârboase și periculoase",
                    "celor care răspândesc că {c}: opriți-vă, faceți rău unor oameni reali"],
    },
}


def spoken(text: str, rng: random.Random) -> str:
    """An ASR-looking rendering, as `make_stance_data.py` does: often without punctuation."""
    if rng.random() < 0.45:
        text = re.sub(r"[,.:;?!¿]", "", text)
    return re.sub(r"\s+", " ", text).strip()


def rows() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    out: list[dict[str, str]] = []
    for lang, spec in LANGUAGES.items():
        for i, core in enumerate(spec["core"]):
            group = f"stml-{lang}-{i:02d}"
            for frame in ["{c}", *spec["assert"]]:  # the bare statement and every opener: about 3 in 7 lines assert
                out.append({"text": spoken(frame.format(c=core), rng), "stance": "assert", "language": lang, "group": group})
            for stance in STANCES:
                for frame in rng.sample(spec[stance], 2):
                    out.append({"text": spoken(frame.format(c=core), rng), "stance": stance, "language": lang,
                                "group": group})
        for i, text in enumerate(spec["plain"]):
            group = f"stml-{lang}-p{i:02d}"
            for frame in ("{c}", rng.choice(spec["assert"])):
                out.append({"text": spoken(frame.format(c=text), rng), "stance": "assert", "language": lang, "group": group})
    return out


def main() -> None:
    data = rows()
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in data), encoding="utf-8")
    print(f"wrote {len(data)} rows to {OUT}")


if __name__ == "__main__":
    main()
