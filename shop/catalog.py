"""The sample store's product catalogue: names, sizes, fit notes and usage steps (our own copy).

Over 300 lines: it is data (47 products with their usage steps), read as one list.
"""

from __future__ import annotations

from dataclasses import replace

from shop.models import Product, SizeRow
from shop.sourcing import supplier_for, unit_cost_usd

_LETTER = [
    ("XS", (80, 86), (64, 70)),
    ("S", (86, 92), (70, 76)),
    ("M", (92, 100), (76, 84)),
    ("L", (100, 108), (84, 92)),
    ("XL", (108, 116), (92, 100)),
    ("XXL", (116, 124), (100, 108)),
]


def letter_chart() -> tuple[SizeRow, ...]:
    return tuple(SizeRow(label=lbl, chest=chest, waist=waist) for lbl, chest, waist in _LETTER)


def shoe_chart(first: int = 36, last: int = 46) -> tuple[SizeRow, ...]:
    rows = []
    for eu in range(first, last + 1):
        # EU (Paris point) size = 1.5 x (foot length + 1.5 cm); each size spans 2/3 cm.
        centre = eu / 1.5 - 1.5
        rows.append(
            SizeRow(
                label=f"EU {eu}",
                foot=(round(centre - 0.33, 1), round(centre + 0.33, 1)),
                eu=str(eu),
                us=str(round(eu - 33 + (0 if eu < 40 else 0.5), 1)).removesuffix(".0"),
                uk=str(round(eu - 33.5 - (0 if eu < 40 else 0.5), 1)).removesuffix(".0"),
            )
        )
    return tuple(rows)


def _apparel(
    sku: str,
    name: str,
    price: float,
    fit: str = "true",
    small: int = 0,
    large: int = 0,
    care: str = "Machine wash cold, inside out; hang to dry.",
) -> Product:
    return Product(
        sku, name, "apparel", price, (1, 3), letter_chart(), fit, small, large, (care,), 0.4
    )


def _shoes(
    sku: str, name: str, price: float, fit: str = "true", small: int = 0, large: int = 0
) -> Product:
    return Product(
        sku,
        name,
        "shoes",
        price,
        (2, 4),
        shoe_chart(),
        fit,
        small,
        large,
        ("Wipe clean with a damp cloth; let them dry away from heaters.",),
        0.9,
    )


def _thing(
    sku: str,
    name: str,
    category: str,
    price: float,
    steps: tuple[str, ...],
    processing: tuple[int, int] = (1, 2),
    weight: float = 0.3,
) -> Product:
    return Product(sku, name, category, price, processing, usage=steps, weight_kg=weight)


_LISTED: tuple[Product, ...] = (
    _apparel("AP-101", "Linen Wrap Dress", 59.0, "runs_small", 31, 4),
    _apparel("AP-102", "Ribbed Knit Cardigan", 48.0, "runs_large", 3, 22),
    _apparel("AP-103", "Oversized Cotton Hoodie", 45.0, "runs_large", 2, 27),
    _apparel("AP-104", "Slim Stretch Chinos", 42.0, "runs_small", 24, 5),
    _apparel("AP-105", "High-Rise Denim Jeans", 55.0, "runs_small", 29, 3),
    _apparel(
        "AP-106",
        "Quilted Puffer Jacket",
        89.0,
        "true",
        8,
        9,
        "Machine wash cold on a gentle cycle; tumble dry low with two tennis balls.",
    ),
    _apparel(
        "AP-107",
        "Merino Crew Sweater",
        72.0,
        "true",
        9,
        7,
        "Hand wash cold with wool detergent; dry flat.",
    ),
    _apparel(
        "AP-108",
        "Satin Slip Skirt",
        38.0,
        "runs_small",
        19,
        6,
        "Hand wash cold; do not wring; iron on low from the inside.",
    ),
    _apparel("AP-109", "Performance Running Tee", 25.0, "true", 6, 8),
    _apparel("AP-110", "Seamless Yoga Leggings", 34.0, "runs_small", 26, 2),
    _apparel(
        "AP-111",
        "Waterproof Rain Shell",
        79.0,
        "runs_large",
        4,
        18,
        "Machine wash cold, close all zips; re-proof the fabric with spray every few washes.",
    ),
    _apparel("AP-112", "Floral Midi Dress", 52.0, "true", 10, 8),
    _apparel("AP-113", "Classic Oxford Shirt", 39.0, "true", 7, 9),
    _apparel("AP-114", "Fleece Jogger Pants", 36.0, "runs_large", 3, 21),
    _apparel("AP-115", "Bamboo Pajama Set", 46.0, "true", 8, 6),
    _apparel(
        "AP-116",
        "Quick-Dry Swim Shorts",
        29.0,
        "runs_small",
        22,
        4,
        "Rinse in fresh water after swimming; dry in the shade.",
    ),
    _shoes("SH-201", "Trail Running Shoes", 95.0, "runs_small", 28, 3),
    _shoes("SH-202", "Canvas Low-Top Sneakers", 49.0, "runs_large", 4, 25),
    _shoes("SH-203", "Leather Chelsea Boots", 129.0, "true", 11, 9),
    _shoes("SH-204", "Cushioned Walking Sandals", 44.0, "true", 9, 10),
    _shoes("SH-205", "Knit Slip-On Loafers", 58.0, "runs_small", 21, 5),
    _shoes("SH-206", "Kids' Light-Up Sneakers", 35.0, "runs_small", 33, 2),
    _shoes("SH-207", "Ankle Strap Block Heels", 68.0, "true", 12, 8),
    _shoes("SH-208", "Memory Foam Slippers", 24.0, "runs_large", 3, 19),
    _thing(
        "EL-301",
        "Wireless Earbuds Pro",
        "electronics",
        79.0,
        (
            "Put both earbuds in the case and open the lid next to your phone.",
            "Hold the button on the back of the case for 3 seconds until the light blinks white.",
            "Choose 'XB Buds Pro' in your phone's Bluetooth list.",
            "Tap either earbud twice to play or pause; hold for 2 seconds to skip a track.",
        ),
    ),
    _thing(
        "EL-302",
        "Mini Bluetooth Speaker",
        "electronics",
        39.0,
        (
            "Hold the power button for 2 seconds; you will hear a tone.",
            "Press the Bluetooth button once; the light blinks blue.",
            "Choose 'XB Mini' in your phone's Bluetooth list.",
            "Charge with the USB-C cable for about 2 hours; the light turns green when full.",
        ),
    ),
    _thing(
        "EL-303",
        "Smart Fitness Band",
        "electronics",
        59.0,
        (
            "Charge the band fully on the magnetic charger before the first use.",
            "Install the XB Fit app and sign in.",
            "In the app tap 'Add device' and hold the band next to the phone.",
            "Confirm the six-digit code shown on the band.",
        ),
    ),
    _thing(
        "EL-304",
        "65W USB-C Charger",
        "electronics",
        35.0,
        (
            "Plug the charger into the wall, then connect your device with a USB-C cable.",
            "Laptops charge at full speed only with a 100 W-rated (5 A) cable.",
            "A warm charger is normal; unplug it if it gets too hot to touch.",
        ),
    ),
    _thing(
        "EL-305",
        "Magnetic Power Bank 10000 mAh",
        "electronics",
        45.0,
        (
            "Charge the power bank with USB-C until all four lights stay on.",
            "Snap it onto the back of a MagSafe-compatible phone or case;"
            " charging starts by itself.",
            "Press the side button once to see the remaining charge.",
        ),
    ),
    _thing(
        "EL-306",
        "10-inch Ring Light",
        "electronics",
        32.0,
        (
            "Screw the ring onto the tripod and tighten the knob.",
            "Plug the USB cable into a 5 V / 2 A charger or a computer.",
            "Use the inline remote: the sun button sets brightness, the M button the colour.",
        ),
    ),
    _thing(
        "EL-307",
        "75% Mechanical Keyboard",
        "electronics",
        89.0,
        (
            "Set the switch on the back to BT, 2.4G or cable.",
            "For Bluetooth hold Fn+1 for 3 seconds and pick 'XB75' on your computer.",
            "For 2.4G plug the receiver stored under the keyboard into your computer.",
            "Fn+Space switches between Windows and Mac layouts.",
        ),
        weight=1.1,
    ),
    _thing(
        "EL-308",
        "Smart Plug (2-pack)",
        "electronics",
        27.0,
        (
            "Plug the smart plug in; the light blinks fast.",
            "In the XB Home app tap '+', choose Smart Plug and enter your 2.4 GHz Wi-Fi password.",
            "If pairing fails, hold the button for 6 seconds to reset and try again.",
        ),
    ),
    _thing(
        "EL-309",
        "1080p Dash Cam",
        "electronics",
        69.0,
        (
            "Insert a microSD card (up to 128 GB, class 10) before powering on.",
            "Stick the mount high behind the rear-view mirror"
            " and run the cable along the headliner.",
            "Plug it into the car's 12 V socket; recording starts with the engine.",
            "Format the card in Settings the first time.",
        ),
    ),
    _thing(
        "EL-310",
        "Noise-Cancelling Headphones",
        "electronics",
        129.0,
        (
            "Slide the power switch; the headphones enter pairing mode on first use.",
            "Choose 'XB Quiet' in your Bluetooth list.",
            "Press the ANC button to cycle noise cancelling, ambient and off.",
        ),
        weight=0.6,
    ),
    _thing(
        "HM-401",
        "Ceramic Pour-Over Coffee Set",
        "home",
        42.0,
        (
            "Rinse the paper filter with hot water and discard the water.",
            "Use 15 g of medium-fine coffee for 250 ml of water just off the boil.",
            "Pour slowly in circles; the brew should finish in about 3 minutes.",
        ),
        (2, 4),
        1.2,
    ),
    _thing(
        "HM-402",
        "Memory Foam Pillow",
        "home",
        39.0,
        (
            "Unpack and let the pillow expand for 24 hours before use.",
            "The cover is machine-washable at 40 °C; the foam core is not.",
        ),
        (2, 4),
        1.3,
    ),
    _thing(
        "HM-403",
        "LED Desk Lamp",
        "home",
        36.0,
        (
            "Touch the lamp icon to switch on; hold it to dim.",
            "Touch the sun icon to change the colour temperature.",
            "The USB port in the base charges a phone at up to 5 W.",
        ),
    ),
    _thing(
        "HM-404",
        "Linen Duvet Cover",
        "home",
        85.0,
        (
            "Wash at 40 °C before first use; linen softens with every wash.",
            "Tumble dry low or line dry; iron while slightly damp for a crisp look.",
        ),
        (3, 5),
        1.4,
    ),
    _thing(
        "HM-405",
        "Insulated Steel Bottle 750 ml",
        "home",
        28.0,
        (
            "Wash by hand before first use; not dishwasher-safe.",
            "Keeps drinks cold 24 h and hot 12 h with the lid fully closed.",
            "Do not fill with carbonated drinks or put it in the freezer.",
        ),
    ),
    _thing(
        "HM-406",
        "Ultrasonic Aroma Diffuser",
        "home",
        33.0,
        (
            "Fill with tap water up to the MAX line and add 3-5 drops of essential oil.",
            "Press the mist button once for continuous mist, twice for intermittent.",
            "Empty and wipe the tank dry every few days to stop deposits.",
        ),
    ),
    _thing(
        "AC-501",
        "MagSafe Clear Phone Case",
        "accessories",
        19.0,
        (
            "Peel the film off the inside, then press the phone in from the top corner down.",
            "MagSafe chargers and wallets snap onto the ring on the back.",
        ),
    ),
    _thing(
        "AC-502",
        "Vegan Leather Crossbody Bag",
        "accessories",
        49.0,
        (
            "Clean with a soft damp cloth; keep away from direct heat.",
            "The strap is adjustable from 100 to 130 cm and clips off.",
        ),
    ),
    _thing(
        "AC-503",
        "Polarized Sunglasses",
        "accessories",
        29.0,
        (
            "Clean the lenses with the microfibre pouch only; paper towels scratch the coating.",
            "Polarized lenses can make phone screens look dark at some angles: that is normal.",
        ),
    ),
    _thing(
        "AC-504",
        "Silk Scrunchie Set",
        "accessories",
        16.0,
        ("Hand wash in cold water with mild soap; dry flat.",),
    ),
    _thing(
        "AC-505",
        "Tempered Glass Screen Protector (2-pack)",
        "accessories",
        8.0,
        (
            "Clean the screen with the wet wipe, then the dry wipe; lift dust with the sticker.",
            "Line the glass up with the speaker slot, lower it and press the centre.",
            "Push small bubbles to the edge with the card; tiny ones vanish within a day.",
        ),
    ),
    _thing(
        "AC-506",
        "Cable Organizer Clips (6-pack)",
        "accessories",
        9.0,
        (
            "Wipe the surface with alcohol, peel the backing and press for 30 seconds.",
            "Wait an hour before clipping cables in.",
        ),
    ),
    _apparel("AP-117", "Cotton Ankle Socks (3-pack)", 12.0, "true", 5, 5),
)

PRODUCTS: tuple[Product, ...] = tuple(
    replace(
        p,
        supplier=supplier_for(p.sku, p.category),
        unit_cost_usd=unit_cost_usd(p.sku, p.category, p.price_usd),
    )
    for p in _LISTED
)
BY_SKU: dict[str, Product] = {p.sku: p for p in PRODUCTS}
