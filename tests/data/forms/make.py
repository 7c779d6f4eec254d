"""Regenerate the form-tool fixtures of tests/test_forms.py: python tests/data/forms/make.py

Each file mimics what one tool exports (headers, metadata columns, multiple-choice layout).
"""

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P

OUT = Path(__file__).resolve().parent


def write_csv(name, rows, sep=",", bom=False, tail=""):
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerows(rows)
    data = buf.getvalue() + tail
    (OUT / name).write_bytes((("\ufeff" if bom else "") + data).encode("utf-8"))


# --- Google Forms (FR), CSV, ", "-joined checkboxes
gf_head = [
    "Horodateur",
    "Adresse e-mail",
    "Nom de votre structure",
    "Commune",
    "Code postal",
    "Quels sont vos domaines d'action ?",
    "De quoi auriez-vous besoin ?",
    "Que pourriez-vous proposer à d'autres structures ?",
    "Site internet",
    "Téléphone de la structure",
    "Acceptez-vous que vos coordonnées apparaissent sur la carte ?",
]
gf = [
    [
        "28/11/2026 10:02:11",
        "marie.dupont@gmail.com",
        "Les Jardins du Faron",
        "Toulon",
        "83000",
        "Alimentation et agriculture durable, Citoyenneté, droits et égalité",
        "Des locaux, Des bénévoles",
        "Du matériel",
        "https://jardins-faron.fr",
        "04 94 00 00 01",
        "Oui",
    ],
    [
        "28/11/2026 10:15:40",
        "jean.martin@orange.fr",
        "Ressourcerie du Var",
        "La Seyne-sur-Mer",
        "83500",
        "Économie circulaire (réemploi, recyclage)",
        "Du financement",
        "Du matériel, Des compétences",
        "",
        "04 94 00 00 02",
        "Non",
    ],
    [
        "28/11/2026 11:01:03",
        "a.b@free.fr",
        "Toulon Numérique Solidaire",
        "Toulon",
        "83000",
        "Numérique et inclusion numérique, Éducation et jeunesse",
        "Des bénévoles, De la visibilité",
        "Des formations",
        "toulon-numerique.org",
        "",
        "Oui, j'accepte",
    ],
    [
        "28/11/2026 11:20:55",
        "c@d.fr",
        "Compagnie Mistral",
        "Hyères",
        "83400",
        "Culture et médias",
        "Des locaux",
        "Des compétences, De la visibilité",
        "",
        "",
        "Oui",
    ],
    [
        "28/11/2026 12:00:00",
        "e@f.fr",
        "Épicerie solidaire La Cagette",
        "Toulon",
        "83200",
        "Solidarité et lutte contre la précarité, Alimentation et agriculture durable",
        "Des bénévoles",
        "Des locaux",
        "",
        "06 11 22 33 44",
        "Oui",
    ],
]
write_csv("google-forms.csv", [gf_head, *gf])

# --- Microsoft Forms (FR), XLSX, "a;b;c;" choices, respondent columns
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Sheet1"
ws.append(
    [
        "ID",
        "Heure de début",
        "Heure de fin",
        "Adresse de messagerie",
        "Nom",
        "Heure de la dernière modification",
        "Nom de la structure",
        "Ville",
        "Code postal",
        "Dans quels domaines intervenez-vous ?",
        "Quels sont vos besoins ?",
        "Que pouvez-vous apporter aux autres structures ?",
        "Adresse e-mail de la structure",
        "J'accepte que les coordonnées de ma structure soient publiées sur la carte",
    ]
)
ms = [
    [
        1,
        dt.datetime(2026, 11, 28, 9, 0, 5),
        dt.datetime(2026, 11, 28, 9, 6, 40),
        "anonymous",
        "",
        None,
        "Vélo Solidaire Nice",
        "Nice",
        "06000",
        "Mobilité;Insertion et emploi;",
        "Des locaux;Du financement;",
        "Des compétences;",
        "contact@velo-nice.fr",
        "Oui",
    ],
    [
        2,
        dt.datetime(2026, 11, 28, 9, 10, 0),
        dt.datetime(2026, 11, 28, 9, 20, 0),
        "anonymous",
        "",
        None,
        "Maison des Solidarités Niçoises",
        "Nice",
        "06300",
        "Solidarité et lutte contre la précarité;Santé et handicap;",
        "Des bénévoles;",
        "Des locaux;Partenariats;",
        "msn@example.org",
        "Non",
    ],
    [
        3,
        dt.datetime(2026, 11, 28, 9, 30, 0),
        dt.datetime(2026, 11, 28, 9, 41, 0),
        "anonymous",
        "",
        None,
        "Théâtre de la Cité",
        "Nice",
        "06000",
        "Culture et médias;Éducation et jeunesse;",
        "De la visibilité;",
        "Du matériel;Des formations;",
        "bonjour@theatre-cite.fr",
        "Oui",
    ],
]
for r in ms:
    ws.append(r)
wb.save(OUT / "microsoft-forms.xlsx")

# --- LimeSurvey (FR), CSV full answers, one column per option
ls_opts_t = [
    "Culture et médias",
    "Éducation et jeunesse",
    "Économie circulaire (réemploi, recyclage)",
    "Autre",
]
ls_opts_n = ["Des locaux", "Du financement", "Des bénévoles"]
ls_opts_o = ["Du matériel", "Des compétences", "Des formations"]
head = [
    "ID de la réponse",
    "Date de soumission",
    "Dernière page",
    "Langue de départ",
    "Tête de série",
    "Date de lancement",
    "Date de la dernière action",
    "Nom de la structure",
    "Commune",
    "Code postal",
]
head += [f"Vos domaines d'action [{o}]" for o in ls_opts_t]
head += [f"Vos besoins [{o}]" for o in ls_opts_n]
head += [f"Ce que vous pouvez proposer [{o}]" for o in ls_opts_o]
head += ["Consentement à la publication des coordonnées", "Courriel"]


def row(i, name, commune, cp, t, n, o, consent, mail):
    meta = [
        str(i),
        f"2026-11-29 14:0{i}:00",
        "3",
        "fr",
        f"12345{i}",
        "2026-11-29 13:50:00",
        "2026-11-29 14:00:00",
    ]
    return (
        meta
        + [name, commune, cp]
        + [t.get(x, "") for x in ls_opts_t]
        + ["Oui" if x in n else "" for x in ls_opts_n]
        + ["Oui" if x in o else "" for x in ls_opts_o]
        + [consent, mail]
    )


ls = [
    row(
        1,
        "Les Petits Débrouillards Avignon",
        "Avignon",
        "84000",
        {"Éducation et jeunesse": "Oui", "Culture et médias": "Oui"},
        {"Des locaux"},
        {"Des formations"},
        "Oui",
        "avignon@pd.org",
    ),
    row(
        2,
        "Recyclerie d'Apt",
        "Apt",
        "84400",
        {"Économie circulaire (réemploi, recyclage)": "Oui"},
        {"Du financement", "Des bénévoles"},
        {"Du matériel"},
        "Non",
        "recyclerie@apt.fr",
    ),
    row(
        3,
        "Radio Grenouille",
        "Marseille",
        "13003",
        {"Culture et médias": "Oui", "Autre": "Musique expérimentale"},
        set(),
        {"Des compétences"},
        "Oui",
        "radio@grenouille.fr",
    ),
    row(
        4,
        "Collectif Jardins Carpentras",
        "Carpentras",
        "84200",
        {},
        {"Des bénévoles"},
        set(),
        "",
        "",
    ),
]
write_csv("limesurvey.csv", [head, *ls], sep=",", bom=True)

# --- KoboToolbox (labels), XLSX, joined answer + Question/Option 1/0
kt = ["Culture et médias", "Santé et handicap", "Citoyenneté, droits et égalité"]
kn = ["Des locaux", "Des bénévoles"]
ko = ["Du matériel", "Des compétences"]
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Enquête SAFI"
hk = (
    ["start", "end", "Nom de la structure", "Commune", "Domaines d'action"]
    + [f"Domaines d'action/{o}" for o in kt]
    + ["Besoins"]
    + [f"Besoins/{o}" for o in kn]
    + ["Ressources à partager"]
    + [f"Ressources à partager/{o}" for o in ko]
    + [
        "Accord de publication",
        "Téléphone",
        "_id",
        "_uuid",
        "_submission_time",
        "_validation_status",
        "_notes",
        "_status",
        "_submitted_by",
        "__version__",
        "_tags",
        "_index",
    ]
)
ws.append(hk)


def krow(i, name, commune, t, n, o, accord, tel):
    return (
        [
            "2026-11-30T10:00:00.000+01:00",
            "2026-11-30T10:10:00.000+01:00",
            name,
            commune,
            " ".join(t),
        ]
        + [1 if x in t else 0 for x in kt]
        + [" ".join(n)]
        + [1 if x in n else 0 for x in kn]
        + [" ".join(o)]
        + [1 if x in o else 0 for x in ko]
        + [
            accord,
            tel,
            1000 + i,
            f"uuid-{i}",
            "2026-11-30T09:10:00",
            "",
            "",
            "submitted_via_web",
            "enqueteur1",
            "v1",
            "",
            i,
        ]
    )


ws.append(
    krow(
        1,
        "Cinéma Le Cigalon",
        "Cucuron",
        ["Culture et médias"],
        ["Des bénévoles"],
        ["Du matériel"],
        "Oui",
        "04 90 00 00 01",
    )
)
ws.append(
    krow(
        2,
        "Maison de Santé de Gap",
        "Gap",
        ["Santé et handicap", "Citoyenneté, droits et égalité"],
        ["Des locaux"],
        [],
        "Non",
        "04 92 00 00 02",
    )
)
ws.append(
    krow(
        3,
        "Point Info Droits Digne",
        "Digne-les-Bains",
        ["Citoyenneté, droits et égalité"],
        [],
        ["Des compétences"],
        "Oui",
        "04 92 00 00 03",
    )
)
wb.save(OUT / "kobotoolbox.xlsx")

# --- Framaforms (webform), CSV: title row, header row, option row, X marks
ft = ["Culture et médias", "Citoyenneté, droits et égalité", "Sport et loisirs"]
fn = ["Des locaux", "Des bénévoles", "Du financement"]
r1 = ["Détails de la soumission"] + [""] * 15
r2 = [
    "Numéro de soumission",
    "SID",
    "Soumis le",
    "Brouillon",
    "Adresse IP",
    "UID",
    "Soumis par",
    "Nom de l'association",
    "Ville",
    "Quels sont vos domaines d'action ?",
    "",
    "",
    "Vos besoins",
    "",
    "",
    "Acceptez-vous que vos coordonnées soient publiées ?",
]
r3 = [""] * 9 + ft + fn + [""]


def frow(i, name, ville, t, n, ok):
    return (
        [
            str(i),
            str(100 + i),
            f"01/12/2026 - 10:0{i}",
            "0",
            f"192.168.0.{i}",
            "0",
            "Anonyme",
            name,
            ville,
        ]
        + ["X" if x in t else "" for x in ft]
        + ["X" if x in n else "" for x in fn]
        + [ok]
    )


fr = [
    frow(
        1,
        "Foot Solidaire Marseille",
        "Marseille",
        ["Sport et loisirs", "Citoyenneté, droits et égalité"],
        ["Des locaux"],
        "Oui",
    ),
    frow(
        2,
        "Ligue des Droits Arles",
        "Arles",
        ["Citoyenneté, droits et égalité"],
        ["Du financement", "Des bénévoles"],
        "Non",
    ),
    frow(3, "Atelier Théâtre Aubagne", "Aubagne", ["Culture et médias"], [], "Oui"),
]
write_csv("framaforms.csv", [r1, r2, r3, *fr], sep=",")

# --- hand-made ODS with "Accord"

doc = OpenDocumentSpreadsheet()
t = Table(name="Étape Gap")


def cell(v):
    if isinstance(v, bool):
        c = TableCell(valuetype="boolean", booleanvalue="true" if v else "false")
        c.addElement(P(text="VRAI" if v else "FAUX"))
        return c
    c = TableCell(valuetype="string")
    c.addElement(P(text=str(v)))
    return c


ods_rows = [
    ["Nom", "Commune", "Thématique", "Besoins", "Ressources", "Courriel", "Téléphone", "Accord"],
    [
        "Les Amis du Rail",
        "Gap",
        "Mobilité",
        "Du financement",
        "Des bénévoles",
        "rail@gap.fr",
        "04 92 11 11 11",
        "Oui",
    ],
    [
        "AMAP du Champsaur",
        "Saint-Bonnet-en-Champsaur",
        "Alimentation et agriculture durable; Environnement et transition écologique",
        "Des locaux",
        "",
        "amap@champsaur.fr",
        "04 92 22 22 22",
        "Non",
    ],
    [
        "Cyber Base Briançon",
        "Briançon",
        "Numérique et inclusion numérique",
        "",
        "Des formations",
        "cyber@brianon.fr",
        "04 92 33 33 33",
        True,
    ],
]
for r in ods_rows:
    tr = TableRow()
    for v in r:
        tr.addElement(cell(v))
    t.addElement(tr)
doc.spreadsheet.addElement(t)
doc.save(str(OUT / "accord.ods"))

# --- hand-made Excel with totals, a repeated header, a count row
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Étape Manosque"
hx = ["Nom", "CP", "Ville", "Thèmes", "Besoins", "Ressources", "Email", "Accord de publication"]
ws.append(hx)
ws.append(
    [
        "Les Restos du Coeur 04",
        "04100",
        "Manosque",
        "Solidarité et lutte contre la précarité",
        "Des bénévoles",
        "",
        "restos@04.fr",
        "Oui",
    ]
)
ws.append(
    [
        "Cinéma Le Lido",
        "04100",
        "Manosque",
        "Culture et médias",
        "",
        "Des locaux",
        "lido@manosque.fr",
        "Oui",
    ]
)
ws.append(["Sous-total Manosque", None, None, None, None, None, None, None])
ws.append(hx)
ws.append(
    [
        "Recyclerie de Forcalquier",
        "04300",
        "Forcalquier",
        "Économie circulaire (réemploi, recyclage)",
        "Du financement",
        "Du matériel",
        "",
        "Non",
    ]
)
ws.append([None] * 8)
ws.append(["Total : 6 structures", None, None, None, None, None, None, None])
ws.append(["Nombre de structures", 6, None, None, None, None, None, None])
ws.append([None, 6, None, None, None, None, None, None])
wb.save(OUT / "excel-totals.xlsx")

# --- a CSV saved while still being written (cut inside a quoted cell)
write_csv(
    "en-cours.csv",
    [
        ["Nom", "Commune", "CP", "Thématiques"],
        ["Asso Une", "Marseille", "13001", "Culture"],
        ["Asso Deux", "Marseille", "13002", "Sport"],
    ],
    tail='Asso Trois,"Marseille,13 005,solid',
)
print("ok")

# --- Google Forms (EN)
write_csv(
    "google-forms-en.csv",
    [
        [
            "Timestamp",
            "Email Address",
            "Name of your organisation",
            "Town / city",
            "Postcode",
            "Which areas does your organisation work in?",
            "What do you need?",
            "What could you offer to other organisations?",
            "Do you agree to your contact details being published on the map?",
            "Phone number",
        ],
        [
            "11/28/2026 10:02:11",
            "someone@gmail.com",
            "Green Wheels",
            "Marseille",
            "13001",
            "Mobility, Environment",
            "Funding, Volunteers",
            "Equipment",
            "Yes",
            "04 91 00 00 01",
        ],
        [
            "11/28/2026 10:30:00",
            "other@gmail.com",
            "Food For All",
            "Aix-en-Provence",
            "13100",
            "Food, Solidarity",
            "Premises",
            "Training, Skills",
            "No",
            "04 42 00 00 02",
        ],
    ],
)

# --- hand-made CSV whose columns safi-map cannot guess by their header
write_csv(
    "unread.csv",
    [
        ["Nom", "Lieu", "Vous intervenez plutôt dans", "Publication", "Remarques"],
        ["Asso Lieu Un", "Toulon", "Culture", "Oui", "rappeler"],
        ["Asso Lieu Deux", "Hyères", "Sport et loisirs", "Non", ""],
    ],
    sep=";",
)
print("written in", OUT)
